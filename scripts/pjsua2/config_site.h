/* Compile-time limits of the pjsua2 build the phone runs on (scripts/pjsua2/build.sh).
 *
 * The PyPI wheel had 4 call slots and 64 socket handles: 4 concurrent calls at most, and an
 * INVITE/CANCEL flood that used up the handles made pjlib abort the process. The phone
 * itself enforces the configured line limit ([phone] max_lines); these only set the ceiling.
 */
#define PJSUA_MAX_CALLS 64
#define PJSUA_MAX_ACC 8
/* Each call holds an RTP and an RTCP socket; a closed socket's slot is reused only after
 * PJ_IOQUEUE_KEY_FREE_DELAY (500 ms), so a burst of short calls needs many more than 2 per
 * call. 1024 is also select()'s FD_SETSIZE (the select ioqueue: see build.sh). */
#define PJ_IOQUEUE_MAX_HANDLES 1024
/* Per call: the call, two recorders and a greeting player; plus devices and tones. pjsua's
 * default of 32 recorders left calls 17-20 of a 20-call load unrecorded. */
#define PJSUA_MAX_CONF_PORTS 320
#define PJSUA_MAX_RECORDERS 160
#define PJSUA_MAX_PLAYERS 96
#define PJMEDIA_HAS_VIDEO 0
#define PJ_HAS_IPV6 1
