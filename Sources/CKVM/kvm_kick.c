/* Getting a vCPU thread out of KVM_RUN: see include/ckvm.h. */
#define _GNU_SOURCE
#include "ckvm.h"

#include <linux/kvm.h>
#include <signal.h>
#include <string.h>

static void kick_handler(int sig)
{
	(void)sig; /* Only there so that KVM_RUN returns EINTR instead of the process dying. */
}

static pthread_mutex_t kick_lock = PTHREAD_MUTEX_INITIALIZER;
static int kick_signal; /* 0: not chosen yet, -1: none free */

int isoprobe_kvm_kick_signal(void)
{
	pthread_mutex_lock(&kick_lock);
	if (kick_signal == 0) {
		kick_signal = -1;
		for (int sig = SIGRTMIN + 4; sig < SIGRTMAX; sig++) {
			struct sigaction old;
			if (sigaction(sig, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) ||
			    old.sa_handler != SIG_DFL)
				continue;
			struct sigaction sa;
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = kick_handler;
			sigemptyset(&sa.sa_mask);
			if (sigaction(sig, &sa, NULL) == 0) {
				kick_signal = sig;
				break;
			}
		}
	}
	int sig = kick_signal;
	pthread_mutex_unlock(&kick_lock);
	return sig;
}

void isoprobe_kvm_accept_only(int sig)
{
	sigset_t mask;
	sigfillset(&mask);
	sigdelset(&mask, sig);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
}

void isoprobe_kvm_kick(struct isoprobe_kvm_vcpu *v, pthread_t thread, int sig)
{
	/* immediate_exit covers a signal that lands just before KVM_RUN is entered. */
	if (v && v->run)
		__atomic_store_n(&((struct kvm_run *)v->run)->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(thread, sig);
}
