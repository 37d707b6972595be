import Foundation

extension Linux {
    /// `linux.resources`: the cgroup limits. runc writes them to cgroup v1 controllers or to
    /// cgroup2, whichever the host runs.
    public struct Resources: Codable, Equatable, Sendable {
        /// A device cgroup rule. `type` and the numbers left out mean "all".
        public struct DeviceRule: Codable, Equatable, Sendable {
            public var allow: Bool
            /// `a`, `c` or `b`.
            public var type: String?
            public var major: Int64?
            public var minor: Int64?
            /// Any of `r`, `w`, `m`.
            public var access: String?

            public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil,
                        access: String? = nil) {
                self.allow = allow
                self.type = type
                self.major = major
                self.minor = minor
                self.access = access
            }
        }

        /// Bytes. `swap` is memory plus swap, so `swap == limit` leaves no swap; -1 is unlimited.
        public struct Memory: Codable, Equatable, Sendable {
            public var limit: Int64?
            public var reservation: Int64?
            public var swap: Int64?
            public var kernel: Int64?
            public var kernelTCP: Int64?
            public var swappiness: UInt64?
            public var disableOOMKiller: Bool?
            public var useHierarchy: Bool?

            public init(limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil, kernel: Int64? = nil,
                        kernelTCP: Int64? = nil, swappiness: UInt64? = nil, disableOOMKiller: Bool? = nil,
                        useHierarchy: Bool? = nil) {
                self.limit = limit
                self.reservation = reservation
                self.swap = swap
                self.kernel = kernel
                self.kernelTCP = kernelTCP
                self.swappiness = swappiness
                self.disableOOMKiller = disableOOMKiller
                self.useHierarchy = useHierarchy
            }
        }

        /// `quota` microseconds of CPU time per `period` microseconds; `cpus`/`mems` are cpuset lists.
        public struct CPU: Codable, Equatable, Sendable {
            public var shares: UInt64?
            public var quota: Int64?
            public var period: UInt64?
            public var realtimeRuntime: Int64?
            public var realtimePeriod: UInt64?
            public var cpus: String?
            public var mems: String?

            public init(shares: UInt64? = nil, quota: Int64? = nil, period: UInt64? = nil,
                        realtimeRuntime: Int64? = nil, realtimePeriod: UInt64? = nil,
                        cpus: String? = nil, mems: String? = nil) {
                self.shares = shares
                self.quota = quota
                self.period = period
                self.realtimeRuntime = realtimeRuntime
                self.realtimePeriod = realtimePeriod
                self.cpus = cpus
                self.mems = mems
            }
        }

        public struct Pids: Codable, Equatable, Sendable {
            public var limit: Int64

            public init(limit: Int64) {
                self.limit = limit
            }
        }

        public struct BlockIO: Codable, Equatable, Sendable {
            public struct WeightDevice: Codable, Equatable, Sendable {
                public var major: Int64
                public var minor: Int64
                public var weight: UInt16?
                public var leafWeight: UInt16?

                public init(major: Int64, minor: Int64, weight: UInt16? = nil, leafWeight: UInt16? = nil) {
                    self.major = major
                    self.minor = minor
                    self.weight = weight
                    self.leafWeight = leafWeight
                }
            }

            public struct ThrottleDevice: Codable, Equatable, Sendable {
                public var major: Int64
                public var minor: Int64
                public var rate: UInt64

                public init(major: Int64, minor: Int64, rate: UInt64) {
                    self.major = major
                    self.minor = minor
                    self.rate = rate
                }
            }

            public var weight: UInt16?
            public var leafWeight: UInt16?
            public var weightDevice: [WeightDevice]?
            public var throttleReadBpsDevice: [ThrottleDevice]?
            public var throttleWriteBpsDevice: [ThrottleDevice]?
            public var throttleReadIOPSDevice: [ThrottleDevice]?
            public var throttleWriteIOPSDevice: [ThrottleDevice]?

            public init(weight: UInt16? = nil, leafWeight: UInt16? = nil, weightDevice: [WeightDevice]? = nil,
                        throttleReadBpsDevice: [ThrottleDevice]? = nil, throttleWriteBpsDevice: [ThrottleDevice]? = nil,
                        throttleReadIOPSDevice: [ThrottleDevice]? = nil, throttleWriteIOPSDevice: [ThrottleDevice]? = nil) {
                self.weight = weight
                self.leafWeight = leafWeight
                self.weightDevice = weightDevice
                self.throttleReadBpsDevice = throttleReadBpsDevice
                self.throttleWriteBpsDevice = throttleWriteBpsDevice
                self.throttleReadIOPSDevice = throttleReadIOPSDevice
                self.throttleWriteIOPSDevice = throttleWriteIOPSDevice
            }
        }

        public struct HugepageLimit: Codable, Equatable, Sendable {
            /// `2MB`, `1GB`, ...
            public var pageSize: String
            public var limit: UInt64

            public init(pageSize: String, limit: UInt64) {
                self.pageSize = pageSize
                self.limit = limit
            }
        }

        public struct Network: Codable, Equatable, Sendable {
            public struct Priority: Codable, Equatable, Sendable {
                public var name: String
                public var priority: UInt32

                public init(name: String, priority: UInt32) {
                    self.name = name
                    self.priority = priority
                }
            }

            public var classID: UInt32?
            public var priorities: [Priority]?

            public init(classID: UInt32? = nil, priorities: [Priority]? = nil) {
                self.classID = classID
                self.priorities = priorities
            }
        }

        public struct Rdma: Codable, Equatable, Sendable {
            public var hcaHandles: UInt32?
            public var hcaObjects: UInt32?

            public init(hcaHandles: UInt32? = nil, hcaObjects: UInt32? = nil) {
                self.hcaHandles = hcaHandles
                self.hcaObjects = hcaObjects
            }
        }

        public var devices: [DeviceRule]?
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
        public var blockIO: BlockIO?
        public var hugepageLimits: [HugepageLimit]?
        public var network: Network?
        public var rdma: [String: Rdma]?
        /// cgroup2 files written as they are (`"memory.high": "1G"`).
        public var unified: [String: String]?

        public init(devices: [DeviceRule]? = nil, memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil,
                    blockIO: BlockIO? = nil, hugepageLimits: [HugepageLimit]? = nil, network: Network? = nil,
                    rdma: [String: Rdma]? = nil, unified: [String: String]? = nil) {
            self.devices = devices
            self.memory = memory
            self.cpu = cpu
            self.pids = pids
            self.blockIO = blockIO
            self.hugepageLimits = hugepageLimits
            self.network = network
            self.rdma = rdma
            self.unified = unified
        }
    }
}
