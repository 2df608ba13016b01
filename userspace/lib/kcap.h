// SPDX-License-Identifier: Apache-2.0
/*
 * libkcap: the kcap SDK. Opens /dev/kcap, maps the per-CPU rings, merges them
 * in timestamp order and decodes events with the shared event table.
 *
 * Conventions (libbpf-like):
 *  - int functions return 0 on success, a negative errno otherwise;
 *  - constructors return NULL on error with errno set;
 *  - option structs start with `size_t sz` and are declared with KCAP_OPTS()
 *    so that old binaries keep working against a newer library and the
 *    other way round;
 *  - the library never prints, never exits; kcap_errmsg() explains the last
 *    failure of a handle in one sentence.
 *
 * A handle is not thread-safe: use it from one thread at a time.
 */
#ifndef KCAP_KCAP_H
#define KCAP_KCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <kcap/kcap_abi.h>
#include <kcap/kcap_events.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KCAP_API
#define KCAP_API __attribute__((visibility("default")))
#endif

#define KCAP_LIB_MAJOR 1
#define KCAP_LIB_MINOR 0
#define KCAP_LIB_PATCH 0

/* Declare an option struct NAME of type TYPE, zeroed, with sz filled in. */
#define KCAP_OPTS(TYPE, NAME, ...)                                             \
	struct TYPE NAME = ({                                                  \
		memset(&NAME, 0, sizeof(struct TYPE));                         \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };       \
	})

/* The reader handle: one open /dev/kcap (or, for tests, rings in memory). */
struct kcap;

/* kcap_open_opts.flags */
#define KCAP_OPEN_NO_LIFECYCLE 0x1 /* no fork/exec/exit events */
#define KCAP_OPEN_ENTER 0x2 /* also an event at syscall entry */
#define KCAP_OPEN_QUERY_ONLY 0x4 /* open and check the version, configure nothing */

/* Special values of kcap_open_opts.holdback_ns and .poll_timeout_ms. */
#define KCAP_HOLDBACK_NONE (-1LL) /* deliver events as soon as they are seen */
#define KCAP_POLL_NONBLOCK (-1) /* kcap_next() never waits */

#define KCAP_DEFAULT_DEVICE "/dev/kcap"
#define KCAP_DEFAULT_HOLDBACK_NS 1000000LL
#define KCAP_DEFAULT_POLL_TIMEOUT_MS 100

struct kcap_open_opts {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	/* device node; NULL: "/dev/kcap" */
	const char *device;
	/* data bytes per ring, a power of two; 0: the driver's default */
	__u64 ring_size;
	/* wake the reader at this ring fill in bytes; 0: the driver's default */
	__u64 watermark;
	/* bytes kept of each variable-size parameter; 0: the driver's default */
	__u32 snaplen;
	/* KCAP_OPEN_* */
	__u32 flags;
	/*
	 * x86_64 syscall numbers to capture; 32-bit (ia32) callers' calls of
	 * the same names are selected too (chown32 for chown, fcntl64 for
	 * fcntl). syscalls == NULL: every syscall; nr_syscalls == 0 with a
	 * non-NULL list: no syscall at all (lifecycle events only).
	 */
	const unsigned int *syscalls;
	size_t nr_syscalls;
	/* a complete interest set; overrides syscalls, flags' event choices */
	const struct kcap_interest *interest;
	/*
	 * Events younger than now - holdback_ns are held back so that a slow
	 * CPU cannot deliver an older event after a younger one was handed
	 * out; a reader waiting for held events sleeps until they are 1.5
	 * hold-backs old, to wake for a batch. 0: 1 ms; KCAP_HOLDBACK_NONE:
	 * no hold-back.
	 */
	long long holdback_ns;
	/* how long kcap_next() waits for data; 0: 100 ms; KCAP_POLL_NONBLOCK */
	int poll_timeout_ms;
	/* if non-NULL, receives the error message when kcap_open_live() fails */
	char *errbuf;
	size_t errbuf_sz;
	size_t : 0;
};
#define kcap_open_opts__last_field errbuf_sz

/*
 * kcap_open_live() - open the capture device and configure it.
 * Checks the driver's ABI version (another major is refused), then applies
 * ring size, snaplen, watermark and interest. Capture starts with
 * kcap_start(). Each open is a session of the driver's own (ABI 2.3), up to
 * its max_sessions parameter (default 8).
 * Returns a handle, or NULL with errno set (ENOENT: driver not loaded,
 * EACCES: not root, EBUSY: every session in use, EPROTO: ABI mismatch,
 * EINVAL: bad options); the reason is copied to opts->errbuf if given.
 * @opts may be NULL: every syscall, lifecycle events, the driver's ring
 * size, snaplen and watermark, 1 ms hold-back, 100 ms poll timeout.
 */
KCAP_API struct kcap *kcap_open_live(const struct kcap_open_opts *opts);

/*
 * kcap_start() - register the probes and map the rings.
 * The rings are allocated and mapped on the first start; a handle may be
 * started again after kcap_stop(). A capture file has nothing to start (0);
 * a merge starts every source. Errors: -EALREADY (running), -ENOMEM (the
 * rings do not fit: see the driver's ring_size), -EPROTO (an unusable
 * configuration), or the ioctl's errno; see kcap_errmsg().
 */
KCAP_API int kcap_start(struct kcap *h);

/*
 * kcap_stop() - unregister the probes. The rings stay mapped: kcap_next()
 * keeps delivering what was captured, then returns -ENODATA. 0 for sources
 * with nothing to stop; -EINVAL for NULL; else the ioctl's errno.
 */
KCAP_API int kcap_stop(struct kcap *h);

/*
 * kcap_next() - the next event in timestamp order across all CPUs.
 * *ev points into the ring mapping (zero copy) and stays valid until the
 * next call to kcap_next(), kcap_stop() or kcap_close() on this handle.
 * Returns 0 with *ev set; -EAGAIN if nothing arrived within the poll
 * timeout (or a signal interrupted the wait); -ENODATA once the capture is
 * stopped and every ring is drained; -EBADMSG on a malformed record (see
 * kcap_errmsg()); another negative errno on failure.
 */
KCAP_API int kcap_next(struct kcap *h, const struct kcap_event_hdr **ev);

/*
 * kcap_fd() - the device file descriptor, for poll()/epoll integration
 * (POLLIN when a ring passed the watermark or capture stopped), -EBADF for
 * handles without a device.
 */
KCAP_API int kcap_fd(const struct kcap *h);

/*
 * kcap_nr_rings() - number of ring slots (possible CPUs; a CPU that was never
 * online has no ring yet); 0 before kcap_start().
 */
KCAP_API unsigned int kcap_nr_rings(const struct kcap *h);

/* kcap_driver_version() - the ABI version the driver reported; -EINVAL for
 * NULL arguments or a handle that is not a live session. */
KCAP_API int kcap_driver_version(const struct kcap *h, struct kcap_version *v);

/* kcap_config() - the driver's current configuration (KCAP_IOC_GET_CONFIG);
 * -EINVAL for NULL arguments, -ENOTTY for a handle without a device. */
KCAP_API int kcap_config(struct kcap *h, struct kcap_config *cfg);

/*
 * kcap_cpu_stats() - counters of ring @cpu: events, bytes, drops by cause,
 * head, tail and whether the CPU is online. -EINVAL if cpu >= number of
 * rings (or for NULL); a capture file gives the counters of its closing
 * block (-ENODATA: not closed cleanly); a merge adds up its sources'.
 */
KCAP_API int kcap_cpu_stats(struct kcap *h, unsigned int cpu, struct kcap_cpu_stats *st);

/* kcap_errmsg() - one sentence about the last failure on @h ("" if none;
 * "no handle" for NULL). Valid until the next call on @h. */
KCAP_API const char *kcap_errmsg(const struct kcap *h);

/* kcap_close() - stop capturing, unmap the rings and close the device (a
 * file: close it; a merge: close every source). NULL is allowed. */
KCAP_API void kcap_close(struct kcap *h);

/* ---- Several sources as one ----------------------------------------------- */

/* Most sources one merge takes. */
#define KCAP_MERGE_MAX 1024

struct kcap_merge_opts {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	size_t : 0;
};
#define kcap_merge_opts__last_field sz

/*
 * kcap_open_merge() - one time-ordered stream of several sources: live
 * sessions, capture files, or merges, in any mix. kcap_next() hands out the
 * oldest next event of all sources; a source with nothing yet (-EAGAIN)
 * does not hold the others back, so strict order holds across sources that
 * never wait (files) and up to delivery delays for live ones. kcap_next()
 * returns -EAGAIN while a live source may still deliver, -ENODATA when
 * every source ended. kcap_start()/kcap_stop() act on every source;
 * kcap_cpu_stats() adds up the sources' counters of a CPU;
 * kcap_handle_event_desc() answers for the source of the last event; the
 * process snapshot is every source's snapshot; kcap_file_info() describes
 * the first source that is a capture file; kcap_fd() is -EBADF.
 * On success the merge owns @srcs[0..@n-1] and kcap_close() closes them;
 * on failure the caller still does. @opts may be NULL.
 * Returns a handle, or NULL with errno set (EINVAL: no sources, more than
 * KCAP_MERGE_MAX, a NULL source or bad options; ENOMEM).
 */
KCAP_API struct kcap *kcap_open_merge(struct kcap *const *srcs, unsigned int n,
				      const struct kcap_merge_opts *opts);

/*
 * kcap_merge_last() - the index in kcap_open_merge()'s @srcs of the source
 * of the event kcap_next() handed out last; -ENODATA before the first one,
 * -EINVAL if @h is not a merge.
 */
KCAP_API int kcap_merge_last(const struct kcap *h);

/* ---- gVisor sandboxes ----------------------------------------------------- */

/* Default hold-back of the gVisor sink: an event is handed out once it is
 * this old (its time, or its arrival if that is earlier), and a merge with
 * the kernel's rings (kcap_open_merge()) holds the kernel's events as long
 * while the sink has nothing to give: events that gVisor delivers within
 * it come out in time order, across sandboxes, threads and the kernel. */
#define KCAP_GVISOR_HOLDBACK_NS 50000000LL

struct kcap_gvisor_opts {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	/* events are handed out once this old (KCAP_GVISOR_HOLDBACK_NS);
	 * 0: 50 ms; KCAP_HOLDBACK_NONE: at once */
	long long holdback_ns;
	/* how long kcap_next() waits for data; 0: 100 ms; KCAP_POLL_NONBLOCK */
	int poll_timeout_ms;
	/* a connection that has not handshaken by then is closed; 0: 5000 */
	int handshake_timeout_ms;
	/* sandboxes connected at once, 1..511; 0: 64 */
	unsigned int max_sandboxes;
	/* called with one line for each connection closed for bad input, or
	 * refused (NULL: silent; the counters still count them) */
	void (*log)(void *arg, const char *msg);
	void *log_arg;
	/* if non-NULL, receives the error message when kcap_open_gvisor() fails */
	char *errbuf;
	size_t errbuf_sz;
	size_t : 0;
};
#define kcap_gvisor_opts__last_field errbuf_sz

/*
 * kcap_open_gvisor() - a source of the events of gVisor sandboxes: listens
 * on the unix SOCK_SEQPACKET socket @path (created mode 0600, with the
 * umask set to 0177 around bind(); a socket nobody listens on, left by a
 * killed recorder, is replaced; any other existing file, or a socket in
 * use, is an error, EADDRINUSE; removed by kcap_close()) where runsc's
 * remote trace sink connects, one connection per sandbox (docs/gvisor.md).
 * Every packet is checked; bad input closes that connection only (@opts
 * log). Events have the driver's parameter layouts, KCAP_EVF_GVISOR, the
 * sandbox's ids mapped by KCAP_GVISOR_TID() and CLOCK_MONOTONIC times, so
 * kcap_open_merge() with a live session gives one time-ordered stream.
 * kcap_next() returns -EAGAIN when nothing is ready, -ENODATA after
 * kcap_stop() once the queue is drained; kcap_cpu_stats() has one CPU, 0,
 * whose drops[KCAP_DROP_FULL] are the points the sandboxes dropped.
 * Returns a handle, or NULL with errno set.
 */
KCAP_API struct kcap *kcap_open_gvisor(const char *path, const struct kcap_gvisor_opts *opts);

struct kcap_gvisor_stats {
	__u64 connections; /* accepted since open */
	__u64 sandboxes; /* connected now */
	__u64 packets; /* after the handshake, accepted */
	__u64 events; /* records queued, drop markers included */
	__u64 bytes;
	__u64 dropped; /* points the sandboxes reported dropped */
	__u64 skipped; /* entry sides, types and calls kcap has no event for */
	__u64 rejected; /* connections closed for bad input, or refused */
};

/* kcap_gvisor_stats() - the counters of a kcap_open_gvisor() handle
 * (-EINVAL for another handle). */
KCAP_API int kcap_gvisor_stats(const struct kcap *h, struct kcap_gvisor_stats *st);

/* ---- Event table and decoding -------------------------------------------- */

/* kcap_event_desc() - the event table row for @type, NULL if unknown. */
KCAP_API const struct kcap_event_desc *kcap_event_desc(unsigned int type);

/* Syscall numberings known to kcap_syscall_name() and kcap_syscall_nr(). */
enum kcap_syscall_abi {
	KCAP_SC_X86_64 = 0,
	KCAP_SC_IA32 = 1,
};

/*
 * kcap_syscall_name() - name of syscall @nr ("openat"), NULL if unknown.
 * Tables come from the kernel headers the library was built with.
 */
KCAP_API const char *kcap_syscall_name(unsigned int nr, enum kcap_syscall_abi abi);

/*
 * kcap_syscall_nr() - number of syscall @name; accepts "syscall_NNN" too.
 * Returns the number (>= 0) or -ENOENT.
 */
KCAP_API int kcap_syscall_nr(const char *name, enum kcap_syscall_abi abi);

/* kcap_syscall_max() - one past the largest known number in @abi. */
KCAP_API unsigned int kcap_syscall_max(enum kcap_syscall_abi abi);

/*
 * kcap_event_param() - raw bytes of parameter @i of @ev.
 * Returns 0 with *ptr and *len set, -ERANGE if i >= ev->nparams, -EBADMSG
 * if the record's lengths do not add up. Bytes are unaligned: use memcpy
 * or the typed getters below.
 */
KCAP_API int kcap_event_param(const struct kcap_event_hdr *ev, unsigned int i,
			      const void **ptr, __u16 *len);

/* kcap_event_param_index() - index of the parameter named @name, or -ENOENT. */
KCAP_API int kcap_event_param_index(const struct kcap_event_hdr *ev, const char *name);

/*
 * kcap_event_u64() / kcap_event_s64() - parameter @i as a number. A 2, 4
 * or 8 byte parameter is widened (kcap_event_s64() sign-extends);
 * -EMSGSIZE for other lengths. A generic syscall's numbers take 0 to 8
 * bytes and are always sign-extended (ABI 3).
 */
KCAP_API int kcap_event_u64(const struct kcap_event_hdr *ev, unsigned int i, __u64 *out);
KCAP_API int kcap_event_s64(const struct kcap_event_hdr *ev, unsigned int i, __s64 *out);

/*
 * kcap_event_str() - parameter @i copied into @buf as a NUL-terminated
 * string (cut to bufsz - 1 bytes). Returns the parameter length.
 */
KCAP_API int kcap_event_str(const struct kcap_event_hdr *ev, unsigned int i, char *buf,
			    size_t bufsz);

/*
 * kcap_event_syscall_nr() - the syscall number of a SYSCALL or
 * SYSCALL_ENTER event, -EINVAL for other events.
 */
KCAP_API int kcap_event_syscall_nr(const struct kcap_event_hdr *ev);

/* A generic syscall event taken apart (kcap_event_syscall()). */
struct kcap_syscall {
	int nr; /* syscall number (ia32 if the event is KCAP_EVF_COMPAT) */
	unsigned int nargs; /* arguments recorded: the syscall's own (ABI 3), or 6 */
	__u64 args[6]; /* the registers as the syscall got them; 0 past nargs */
	bool has_res; /* exit side (KCAP_EVT_SYSCALL) */
	__s64 res; /* the result at exit, -errno on failure */
};

/*
 * kcap_event_syscall() - number, arguments and result of a SYSCALL or
 * SYSCALL_ENTER event, for records of any ABI (docs/abi.md: since ABI 3
 * the driver records only the arguments a syscall takes, each number in
 * the bytes it needs). -EINVAL for other events, -EBADMSG if malformed.
 */
KCAP_API int kcap_event_syscall(const struct kcap_event_hdr *ev, struct kcap_syscall *sc);

/*
 * kcap_event_format() - @ev as one line of text, without a newline:
 *   TS cpu=C pid=P tid=T NAME DETAILS [flags=...]
 * A decoded syscall (KCAP_EDF_DECODED) prints its parameters by name, flags
 * symbolically, strings quoted with non-printable bytes as \xNN and a cut
 * parameter followed by "...", addresses as 1.2.3.4:80, [::1]:80 or "/path"
 * ("@name" for an abstract unix socket), and its result after " = ":
 *   "12.000000100 cpu=1 pid=42 tid=43 openat(dirfd=AT_FDCWD, name="/tmp/x",
 *   flags=O_WRONLY|O_CREAT|O_TRUNC, mode=0644, path="/tmp/x") = 3"
 * A parameter whose length does not fit its type prints "<bad len N>".
 * A generic syscall prints its raw arguments: "... syscall openat(
 * a0=0xffffff9c, a1=0x7ffc..., a2=0x241, a3=0x180, a4=0x0, a5=0x0) = 3".
 * A negative result is followed by the errno name ("= -2 ENOENT").
 * Lifecycle and drop events print name=value pairs.
 * @h may be NULL. Returns the length of the full line like snprintf()
 * (output is cut to fit @len), or a negative errno.
 */
KCAP_API int kcap_event_format(const struct kcap *h, const struct kcap_event_hdr *ev,
			       char *buf, size_t len);

/*
 * kcap_event_res() - the result of a decoded syscall event (parameter 0,
 * "res"): a file descriptor, a byte count, a child tid, or -errno.
 * -EINVAL for events without one (generic syscalls: kcap_event_syscall()),
 * -EMSGSIZE if its length is not 4 or 8 bytes.
 */
KCAP_API int kcap_event_res(const struct kcap_event_hdr *ev, __s64 *res);

/* A socket address parameter (KCAP_PT_SOCKADDR), decoded. */
struct kcap_sockaddr {
	__u16 family; /* AF_* */
	__u16 port; /* AF_INET, AF_INET6: host byte order */
	__u32 scope_id; /* AF_INET6 */
	__u8 addr[16]; /* AF_INET: 4 bytes, AF_INET6: 16, network byte order */
	__u32 path_len; /* AF_UNIX: bytes in path */
	__u8 abstract; /* AF_UNIX: 1 if path is an abstract name (shown as "@path") */
	__u8 reserved[3];
	char path[112]; /* AF_UNIX: NUL-terminated; an abstract name may hold NULs */
};

/*
 * kcap_event_sockaddr() - parameter @i as a socket address.
 * Returns 0 for AF_INET, AF_INET6 and AF_UNIX; -EAFNOSUPPORT for another
 * family (only @sa->family is set); -ENODATA if empty (no address passed,
 * or unreadable: see KCAP_EVF_FAULT); -EBADMSG if too short for its family.
 */
KCAP_API int kcap_event_sockaddr(const struct kcap_event_hdr *ev, unsigned int i,
				 struct kcap_sockaddr *sa);

/* kcap_sockaddr_format() - "1.2.3.4:80", "[::1]:80", "/path", "@name"
 * (unix paths quoted); returns the length like snprintf(). */
KCAP_API int kcap_sockaddr_format(const struct kcap_sockaddr *sa, char *buf, size_t len);

/* An iterator over a string array parameter (KCAP_PT_STRARRAY, argv):
 * NUL-separated strings; treat the fields as private. */
struct kcap_strarray {
	const void *p; /* the parameter's bytes (inside the event) */
	__u32 len; /* its length */
	__u32 off; /* where the next string starts */
};

/* kcap_event_strarray() - start iterating over parameter @i. */
KCAP_API int kcap_event_strarray(const struct kcap_event_hdr *ev, unsigned int i,
				 struct kcap_strarray *it);

/*
 * kcap_strarray_next() - the next string: *s (not NUL-terminated when it is
 * the last one and was cut) and its length *len. Returns 1, 2 for a last
 * string that was cut short, 0 at the end.
 */
KCAP_API int kcap_strarray_next(struct kcap_strarray *it, const char **s, size_t *len);

/* for each string S of LEN bytes in IT (started with kcap_event_strarray()) */
#define kcap_strarray_for_each(it, s, len) while (kcap_strarray_next((it), &(s), &(len)) > 0)

/* ---- Capture files ------------------------------------------------------- */

/*
 * A .kcap file (docs/capture-format.md) holds raw events in zstd batches,
 * with the event table they were written with, the machine, a process
 * snapshot, drop records and an index. kcap_open_file() returns the same
 * handle as kcap_open_live(): kcap_next(), kcap_event_format() and
 * kcap_cpu_stats() work on both, and the handle decodes with the file's own
 * event table, so files written by an older kcap read without converters.
 */
struct kcap_file_opts {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	/* deliver events with ts_ns >= start_ns only (CLOCK_MONOTONIC of the
	 * recording machine, as printed); 0: from the first event. The index
	 * of a cleanly closed file is used to skip batches. */
	__u64 start_ns;
	/* deliver events with ts_ns <= end_ns only; 0: to the last event */
	__u64 end_ns;
	/* if non-NULL, receives the error message when kcap_open_file() fails */
	char *errbuf;
	size_t errbuf_sz;
	size_t : 0;
};
#define kcap_file_opts__last_field errbuf_sz

/*
 * kcap_open_file() - open a capture file for reading.
 * Reads the header and the blocks before the first event batch (machine,
 * event table, process snapshot) and the closing index if there is one.
 * kcap_next() then returns -ENODATA at the end of the file (or of the time
 * window) and -EBADMSG on a corrupt block, with the byte offset and the
 * problem in kcap_errmsg(). A file that ends inside a block (a recorder
 * that was killed) reads up to its last complete block.
 * Returns a handle, or NULL with errno set (ENOENT, EACCES, EISDIR,
 * EBADMSG: not a kcap file or corrupt, EPROTO: a newer major format
 * version, EINVAL: bad options or not a file, pipe or socket). @opts may
 * be NULL (the whole file, no error text).
 */
KCAP_API struct kcap *kcap_open_file(const char *path, const struct kcap_file_opts *opts);

/*
 * kcap_open_file_fd() - kcap_open_file() on an open descriptor, which the
 * handle takes over (closed by kcap_close(), also when this fails). A pipe
 * or socket (standard input: `kcap read -r -`) is read forward only, as it
 * arrives: no index, so start_ns cannot skip ahead, and kcap_file_info()
 * describes what was read so far (KCAP_FILE_STREAM). @name is used in
 * messages. Errors as kcap_open_file().
 */
KCAP_API struct kcap *kcap_open_file_fd(int fd, const char *name,
					const struct kcap_file_opts *opts);

/* kcap_file_info.flags */
#define KCAP_FILE_CLOSED 0x1 /* ends with a closing block: written completely */
#define KCAP_FILE_INDEXED 0x2 /* the closing block's batch index was loaded */
#define KCAP_FILE_TRUNCATED 0x4 /* ends inside a block, at end_offset */
/* more bytes after the closing block and its trailer (two captures
 * concatenated?); not read: end_offset says where the capture ends */
#define KCAP_FILE_TRAILING 0x8
/* read from a pipe or socket: no index, file_bytes counts what was read */
#define KCAP_FILE_STREAM 0x10
/* it holds the recording machine's user and group names (format 1.1; a
 * copy of an older file has none) */
#define KCAP_FILE_NAMES 0x20
/* it holds a container table (CONTAINERS blocks, format 1.2) and at least
 * one of them has been read */
#define KCAP_FILE_CONTAINERS 0x40

/* What a capture file says about itself (kcap_file_info()). */
struct kcap_file_info {
	__u16 format_major; /* capture format version (docs/capture-format.md) */
	__u16 format_minor;
	__u16 abi_major; /* ABI of the event table in the file */
	__u16 abi_minor;
	__u32 flags; /* KCAP_FILE_* */
	__u32 nr_cpus; /* CPUs of the recording machine (rings it had) */
	__s64 boot_wall_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC at capture start */
	__u64 start_ns; /* capture start, CLOCK_MONOTONIC */
	__u64 stop_ns; /* capture stop; 0 unless closed */
	__u64 first_ts; /* first and last event (index, else batches read so far) */
	__u64 last_ts;
	__u64 nr_events; /* from the index, else counted while reading */
	__u64 nr_batches; /* zstd event batches (same sources as nr_events) */
	__u64 raw_bytes; /* event bytes before compression */
	__u64 stored_bytes; /* batch payload bytes in the file */
	__u64 file_bytes; /* size of the file (a stream: bytes read so far) */
	__u64 nr_threads; /* in the process snapshot */
	__u64 nr_fds; /* descriptors listed in the process snapshot */
	__u64 end_offset; /* where the readable data ends */
	__u32 snaplen; /* bytes kept per variable-size parameter when recording */
	__u32 reserved;
	/* the recording machine: hostname, uname -r, uname -v, uname -m */
	char hostname[256];
	char kernel_release[128];
	char kernel_version[256];
	char arch[64];
	char writer[64]; /* "libkcap 1.0.0" */
	/* names of the recording machine (USERS block, KCAP_FILE_NAMES) */
	__u32 nr_users;
	__u32 nr_groups;
	/* containers in the file's container table read so far (format 1.2,
	 * KCAP_FILE_CONTAINERS; at most 4096 kept) */
	__u32 nr_containers;
	__u32 reserved2;
};

/*
 * kcap_file_info() - what the file says about itself. @sz is
 * sizeof(*info) as the caller knows it. -EINVAL for a NULL argument or a
 * live handle (a merge answers for its first capture file).
 */
KCAP_API int kcap_file_info(struct kcap *h, struct kcap_file_info *info, size_t sz);

/*
 * kcap_file_type_counts() - events per type from the closing block:
 * counts[t] for t < n. -ENODATA if the file was not closed cleanly,
 * -EINVAL for a NULL argument or a handle that is not a capture file.
 */
KCAP_API int kcap_file_type_counts(struct kcap *h, __u64 *counts, unsigned int n);

/* A drop record: @count events of @cause lost on @cpu before @ts_ns. */
struct kcap_file_drop {
	__u64 ts_ns; /* CLOCK_MONOTONIC of the recording machine */
	__u32 cpu;
	__u32 cause; /* enum kcap_drop_cause */
	__u64 count;
};

/*
 * kcap_file_drops() - the drop records read so far (all of them once
 * kcap_next() returned -ENODATA without a time window). Valid until the
 * next kcap_next() or kcap_close(). -EINVAL for a NULL argument or a
 * handle that is not a capture file.
 */
KCAP_API int kcap_file_drops(struct kcap *h, const struct kcap_file_drop **drops, size_t *n);

/*
 * kcap_handle_event_desc() - the table row @h decodes @type with: a file's
 * own event table, the built-in one for live handles and h == NULL.
 */
KCAP_API const struct kcap_event_desc *kcap_handle_event_desc(const struct kcap *h,
							      unsigned int type);

/* ---- Writing capture files ------------------------------------------------ */

/* The writer handle: one capture file, or a rotating series of them. */
struct kcap_writer;

/* kcap_writer_opts.flags */
#define KCAP_WRITER_NO_PROCS 0x1 /* no process snapshot */
/*
 * Write each file under a temporary name in its directory and rename it
 * over PATH only when it was closed cleanly (kcap_writer_finish(), or a
 * rotation): readers never see a half-written file under PATH, and
 * kcap_writer_close() without a successful finish removes it. For copies
 * and conversions; a live recording leaves it off, so that the file of a
 * killed recorder is readable under its name up to its last batch.
 */
#define KCAP_WRITER_ATOMIC 0x2
/* with KCAP_WRITER_ATOMIC: a file that was not finished is kept as
 * PATH.partial (no closing block: kcap_file_info() says so) */
#define KCAP_WRITER_KEEP_PARTIAL 0x4
/* batches as zstd of the raw records (format 1.2's encoding), not as
 * columns (1.3), and metadata blocks plain, not compressed (1.4): for a
 * reader older than format 1.3; files are larger */
#define KCAP_WRITER_PLAIN 0x8

struct kcap_writer_opts {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	/* zstd level, 1..19; 0: 1 (as small as 3 on ring records, cheaper) */
	int level;
	/* KCAP_WRITER_* */
	__u32 flags;
	/* rotation: a new file when this many bytes were written; 0: never */
	__u64 rotate_bytes;
	/* rotation: a new file after this many seconds; 0: never */
	__u32 rotate_secs;
	/* with rotation, keep only the last N files (delete older); 0: all */
	__u32 rotate_keep;
	/* a batch is written at least this often (ms); 0: 1000 */
	__u32 flush_ms;
	__u32 reserved;
	/* where the events come from: a live handle (machine, driver ABI, drop
	 * counters are sampled at each flush) or a file handle (its machine
	 * info, start and stop times, event table, process snapshot and drop
	 * records are copied; writing onto that file is refused); NULL: this
	 * machine, built-in table */
	struct kcap *source;
	/* if non-NULL, receives the error message when kcap_writer_open() fails */
	char *errbuf;
	size_t errbuf_sz;
	/* the user and group names stored in the file (USERS block) come from
	 * these passwd- and group-format files; NULL: /etc/passwd, /etc/group.
	 * A file source's own names are copied instead (none if it has none). */
	const char *passwd;
	const char *group;
	size_t : 0;
};
#define kcap_writer_opts__last_field group

/*
 * kcap_writer_open() - create @path (truncated if it exists; with
 * KCAP_WRITER_ATOMIC a temporary file beside it) and write the header,
 * machine info, event table and process snapshot. With rotation the files
 * are PATH.0, PATH.1, ... Returns NULL with errno set on error (EINVAL:
 * bad options, or @path is the source file itself, also through a link).
 * @opts may be NULL: zstd level 1, no rotation, a snapshot of this
 * machine's /proc, the built-in event table, written in place.
 */
KCAP_API struct kcap_writer *kcap_writer_open(const char *path,
					      const struct kcap_writer_opts *opts);

/*
 * kcap_writer_write() - append one event (its raw bytes, copied as they
 * are). Writes a batch when it is full or older than the flush interval.
 * After a write error (disk full) every call returns the same error; the
 * file stays readable up to the last complete block.
 */
KCAP_API int kcap_writer_write(struct kcap_writer *w, const struct kcap_event_hdr *ev);

/*
 * kcap_writer_tick() - call when idle (e.g. kcap_next() said -EAGAIN):
 * writes the pending batch if it is older than the flush interval, samples
 * the source's drop counters and rotates if due.
 */
KCAP_API int kcap_writer_tick(struct kcap_writer *w);

/* kcap_writer_flush() - write the pending batch now. */
KCAP_API int kcap_writer_flush(struct kcap_writer *w);

struct kcap_writer_stats {
	__u64 events;
	__u64 raw_bytes; /* event bytes given to the writer */
	__u64 stored_bytes; /* compressed batch bytes */
	__u64 file_bytes; /* bytes written, all files */
	__u64 drops; /* drops seen in the source's counters */
	__u32 files; /* files opened so far */
	/* container records written (CONTAINERS blocks, all files) */
	__u32 containers;
};

/* kcap_writer_stats() - counters since kcap_writer_open(); @sz: sizeof(*st)
 * as the caller knows it. */
KCAP_API int kcap_writer_stats(const struct kcap_writer *w, struct kcap_writer_stats *st,
			       size_t sz);

/* kcap_writer_path() - the file being written now. */
KCAP_API const char *kcap_writer_path(const struct kcap_writer *w);

/* kcap_writer_errmsg() - one sentence about the last failure on @w. */
KCAP_API const char *kcap_writer_errmsg(const struct kcap_writer *w);

/*
 * kcap_writer_finish() - write the pending batch, the final drop counters
 * and the closing index, and close the file. Returns 0 or the first error
 * met (see kcap_writer_errmsg(); the file is then readable but not closed
 * cleanly). Later calls return the same result.
 */
KCAP_API int kcap_writer_finish(struct kcap_writer *w);

/*
 * kcap_writer_close() - free @w. Without KCAP_WRITER_ATOMIC it first calls
 * kcap_writer_finish() if that was not done; with it, a file not finished
 * successfully is removed (or kept as PATH.partial), never renamed to PATH.
 */
KCAP_API void kcap_writer_close(struct kcap_writer *w);

/* ---- The flight recorder ---------------------------------------------------- */

/*
 * The last minutes of events kept in memory (zstd-compressed), and a
 * capture file of them written when an alert fires: the window before the
 * alert and a while after it. Feed it every event (kcap_flight_add()),
 * call kcap_flight_trigger() for an alert and kcap_flight_tick() when idle.
 * A flight file is an ordinary capture file (kcap_open_file()), named
 * DIR/kcap-flight-<UTC time>-<n>-<rule>.kcap and renamed into place only when
 * complete. Not thread-safe; one per reader.
 */
struct kcap_flight;

struct kcap_flight_opts {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	/* directory of the flight files (must exist and be writable) */
	const char *dir;
	/* the events kept: this long before the newest one (ns; > 0) */
	__u64 window_ns;
	/* and at most this many bytes of memory, compressed (>= 512 KiB):
	 * the oldest go first when the window does not fit */
	__u64 max_bytes;
	/* a dump goes on this long after its (last) alert (ns) */
	__u64 after_ns;
	/* after each dump, the oldest flight files of dir beyond this many
	 * files or bytes are removed; 0: no limit */
	__u32 keep_files;
	__u32 reserved;
	__u64 keep_bytes;
	/* zstd level of the memory chunks, 1..19; 0: 1 */
	int level;
	/* optional: called with a new flight file's writer before the window
	 * is written into it, e.g. to give it the container table
	 * (kcap_state_write_all_containers()); non-zero fails the dump */
	int (*dump_open)(void *ctx, struct kcap_writer *w);
	void *dump_ctx;
	size_t : 0;
};
#define kcap_flight_opts__last_field dump_ctx

struct kcap_flight_stats {
	__u64 events;	     /* given to kcap_flight_add() */
	__u64 mem_bytes;     /* held now: compressed chunks + the open raw chunk */
	__u64 mem_peak;	     /* the most held at once */
	__u64 chunks;	     /* compressed chunks held */
	__u64 evicted_age;   /* chunks dropped as older than the window */
	__u64 evicted_mem;   /* chunks dropped for max_bytes (window cut short) */
	__u64 alerts;	     /* kcap_flight_trigger() calls */
	__u64 alerts_shared; /* of those, alerts that joined an open dump */
	__u64 dumps;	     /* flight files finished */
	__u64 events_dumped; /* events written into flight files */
	__u64 files_removed; /* old flight files removed for keep_* */
};

/*
 * kcap_flight_new() - a flight recorder for events of @src (a live or file
 * handle: the dumps take its machine info, event table and, when live, a
 * process snapshot and drop counters; NULL: this machine). NULL with errno
 * (EINVAL bad options, ENOTDIR, EACCES, ENOMEM) and a sentence in @errbuf.
 */
KCAP_API struct kcap_flight *kcap_flight_new(struct kcap *src, const struct kcap_flight_opts *opts,
					     char *errbuf, size_t errbuf_sz);

/* kcap_flight_add() - keep @ev (and write it to the open dump, if any). */
KCAP_API int kcap_flight_add(struct kcap_flight *f, const struct kcap_event_hdr *ev);

/*
 * kcap_flight_trigger() - an alert at @ts_ns (its event's time) of rule
 * @rule: opens a dump holding the window before @ts_ns, or, when one is
 * open, extends it to @ts_ns + after. @path receives the flight file's
 * name (complete once the dump ends). 0 or a negative errno
 * (kcap_flight_errmsg()).
 */
KCAP_API int kcap_flight_trigger(struct kcap_flight *f, __u64 ts_ns, const char *rule, char *path,
				 size_t path_sz);

/* kcap_flight_tick() - finishes the open dump if @now_ns (CLOCK_MONOTONIC,
 * the events' clock) is past its end; call when no event came. */
KCAP_API int kcap_flight_tick(struct kcap_flight *f, __u64 now_ns);

KCAP_API int kcap_flight_stats(const struct kcap_flight *f, struct kcap_flight_stats *st,
			       size_t sz);
KCAP_API const char *kcap_flight_errmsg(const struct kcap_flight *f);

/* kcap_flight_free() - finishes the open dump and frees @f; 0 or the dump's error. */
KCAP_API int kcap_flight_free(struct kcap_flight *f);

/* ---- The driver module: inspect, load, unload ----------------------------- */

/* kcap_module_info.flags */
#define KCAP_MODULE_SIGNED 0x1 /* ends with "~Module signature appended~\n" */
#define KCAP_MODULE_HAS_ABI 0x2 /* .modinfo carries kcap_abi=MAJOR.MINOR */

/* What a kcap.ko file says about itself (.modinfo and signature trailer). */
struct kcap_module_info {
	__u32 flags; /* KCAP_MODULE_* */
	__u16 abi_major; /* kcap_abi, if KCAP_MODULE_HAS_ABI */
	__u16 abi_minor;
	__u32 sig_len; /* signature bytes, if signed */
	__u8 sig_id_type; /* 2: PKCS#7 (the kernel's PKEY_ID_PKCS7) */
	__u8 reserved[3];
	__u64 file_size;
	char name[64];
	char version[32];
	char srcversion[64];
	char license[64];
	char vermagic[256]; /* "6.1.0-56-amd64 SMP preempt mod_unload modversions " */
	char release[128]; /* vermagic's first word: the kernel it was built for */
};

/* Options of kcap_module_inspect() and kcap_module_unload(); NULL allowed. */
struct kcap_module_opts {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	/* if non-NULL, receives the explanation when the call fails */
	char *errbuf;
	size_t errbuf_sz;
	size_t : 0;
};
#define kcap_module_opts__last_field errbuf_sz

/*
 * kcap_module_inspect() - read @path's .modinfo (with libelf) and look for
 * a signature. @sz is sizeof(*info) as the caller knows it. Returns 0, or a
 * negative errno with one sentence in opts->errbuf (-ENOEXEC: not an x86_64
 * kernel module, truncated or damaged; -ENOENT, -EACCES: cannot open;
 * -EINVAL: bad arguments or options).
 */
KCAP_API int kcap_module_inspect(const char *path, struct kcap_module_info *info, size_t sz,
				 const struct kcap_module_opts *opts);

/* The running kernel's module-loading policy. -1 in a field: unknown. */
struct kcap_kernel_state {
	char release[128]; /* uname -r */
	int modules; /* loadable module support (/proc/modules exists) */
	int sig_enforce; /* /sys/module/module/parameters/sig_enforce */
	int secure_boot; /* the UEFI SecureBoot variable; 0 without EFI */
	int modules_disabled; /* kernel.modules_disabled */
	char lockdown[32]; /* "none", "integrity", "confidentiality"; "" unknown */
};

/* kcap_kernel_state() - fill @ks (@sz: sizeof(*ks) as the caller knows it). */
KCAP_API int kcap_kernel_state(struct kcap_kernel_state *ks, size_t sz);

/* The loaded driver, from /sys/module/kcap and /sys/class/misc/kcap. */
struct kcap_driver_status {
	int loaded; /* 1 if kcap is loaded; the fields below are then filled */
	int refcnt; /* -1 unknown */
	char version[32]; /* MODULE_VERSION: "ABI_MAJOR.ABI_MINOR.0" */
	char srcversion[64]; /* the module's source checksum */
	char holder[64]; /* "PID COMM" of the first session's opener, or "none" */
	char params[512]; /* "ring_size=8388608 snaplen=256" */
	/* ABI 2.3: every open file of /dev/kcap is a session of its own */
	unsigned int nr_sessions; /* open now */
	/* /sys/class/misc/kcap/sessions as read, a line per session (docs/abi.md) */
	char sessions[4096];
};

/* kcap_driver_status() - fill @st (@sz: sizeof(*st) as the caller knows it). */
KCAP_API int kcap_driver_status(struct kcap_driver_status *st, size_t sz);

/*
 * kcap_module_find() - where modprobe would find kcap.ko for kernel
 * @release (NULL: the running one), from its modules.dep. 0 or -ENOENT.
 */
KCAP_API int kcap_module_find(const char *release, char *path, size_t len);

struct kcap_module_load_opts {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	/* module parameters, "ring_size=16777216 snaplen=512"; NULL: none */
	const char *params;
	/* if non-NULL, receives the explanation when loading fails */
	char *errbuf;
	size_t errbuf_sz;
	size_t : 0;
};
#define kcap_module_load_opts__last_field errbuf_sz

/*
 * kcap_module_load() - load kcap.ko from @path with finit_module(). A
 * failure comes back as a negative errno and one sentence saying what to do:
 * -ENOEXEC built for another kernel, -EKEYREJECTED unsigned or untrusted
 * signature under module.sig_enforce or Secure Boot, -EPERM lockdown or not
 * root, -ENOENT a missing kernel symbol, -EEXIST already loaded (which
 * version), -EINVAL a refused parameter. @opts may be NULL (no
 * parameters, no explanation text).
 */
KCAP_API int kcap_module_load(const char *path, const struct kcap_module_load_opts *opts);

/*
 * kcap_module_unload() - unload kcap (delete_module, never waiting).
 * -EAGAIN while in use (the explanation in opts->errbuf names the process
 * holding /dev/kcap), -ENOENT if not loaded, -EINVAL: bad options.
 */
KCAP_API int kcap_module_unload(const struct kcap_module_opts *opts);

/* kcap_lib_version() - KCAP_LIB_MAJOR * 10000 + MINOR * 100 + PATCH. */
KCAP_API unsigned int kcap_lib_version(void);

#ifdef __cplusplus
}
#endif

#endif /* KCAP_KCAP_H */
