#pragma once
// PostgreSQL's own client library (Debian's libpq-dev): connections, parameters, results.
#include <libpq-fe.h>
