/* diag_compat.h — Linux uapi values that Debian 12's kernel headers lack or that the
 * kernel defines only internally. Defined once, here. */
#ifndef TCPH_DIAG_COMPAT_H
#define TCPH_DIAG_COMPAT_H

/* TCP states as in include/net/tcp_states.h (the uapi has no enum for them). */
enum tcp_health_state {
	TCPH_ESTABLISHED = 1,
	TCPH_SYN_SENT,
	TCPH_SYN_RECV,
	TCPH_FIN_WAIT1,
	TCPH_FIN_WAIT2,
	TCPH_TIME_WAIT,
	TCPH_CLOSE,
	TCPH_CLOSE_WAIT,
	TCPH_LAST_ACK,
	TCPH_LISTEN,
	TCPH_CLOSING,
	TCPH_STATE_MAX = TCPH_CLOSING,
};

/* Bit mask of the eleven user-visible states for inet_diag_req_v2.idiag_states.
 * TCP_NEW_SYN_RECV request sockets are included by the kernel when SYN_RECV is asked
 * for, and reported as SYN_RECV; TCP_BOUND_INACTIVE (bit 13, Linux 6.8+) is left out on
 * purpose: `ss -a` does not show it either. */
#define TCPH_ALL_STATES_MASK (((1u << (TCPH_STATE_MAX + 1)) - 1) & ~1u)

/* idiag_timer codes, from net/ipv4/tcp_diag.c / inet_diag.c (inet_sk_diag_fill and
 * inet_twsk_diag_fill); Linux has no uapi enum for them. */
enum tcp_health_timer {
	TCPH_TIMER_OFF = 0,
	TCPH_TIMER_RETRANSMIT = 1, /* idiag_retrans: consecutive retransmissions */
	TCPH_TIMER_KEEPALIVE = 2,  /* idiag_retrans: keepalive probes out */
	TCPH_TIMER_TIME_WAIT = 3,
	TCPH_TIMER_PROBE = 4,	   /* zero-window probe; idiag_retrans: probes out */
	TCPH_TIMER_DELAYED_ACK = 5, /* newer kernels */
	TCPH_TIMER_MAX = TCPH_TIMER_DELAYED_ACK,
};

#endif
