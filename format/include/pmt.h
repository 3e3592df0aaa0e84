/*
 * pmt.h - the one public header of libpmt: the .pmt trace file and its event model.
 *
 * libpmt writes and reads .pmt files (docs/FORMAT.md specifies them byte by byte).
 * It never prints, never exits and never aborts on a failed allocation: every
 * function that can fail returns a negative PMT_E* code (or NULL and sets *err),
 * and pmt_strerror() turns a code into a message. Damage found in a file is
 * described by pmt_reader_error(): the file offset and what was expected there.
 *
 * Ownership, in one place:
 *  - Handles (pmt_writer, pmt_reader, pmt_cursor) are opaque; each *_open has a
 *    *_close that accepts NULL.
 *  - Strings and arrays a reader hands out (struct pmt_event string fields, the
 *    pointers inside struct pmt_info and friends) belong to the reader or cursor
 *    that returned them. Event strings stay valid until the next call on the same
 *    cursor; info/level/task data stay valid until pmt_reader_close().
 *  - Everything a caller passes to a writer is copied before the call returns.
 *
 * Time: a writer is given raw timestamps in the clock of the event's level
 * (struct pmt_event.ts). A reader hands out both ts (raw, as stored) and time_ns,
 * the same instant in reference-clock nanoseconds (the host clock mapped to ns,
 * see struct pmt_clock).
 */
#ifndef PMT_H
#define PMT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PMT_VERSION_MAJOR 1
#define PMT_VERSION_MINOR 0

/* ------------------------------------------------------------------ errors */

/*
 * Error codes: negative ints, generated with their messages from one list.
 * Released values never change; new codes are appended.
 */
#define PMT_ERRORS(X)                                                          \
	X(PMT_OK, 0, "success")                                                \
	X(PMT_ENOMEM, -1, "out of memory")                                     \
	X(PMT_EIO, -2, "input/output error")                                   \
	X(PMT_EINVAL, -3, "invalid argument")                                  \
	X(PMT_EMAGIC, -4, "not a .pmt file (bad magic)")                       \
	X(PMT_EVERSION, -5, "unsupported format version")                      \
	X(PMT_EENDIAN, -6, "endianness canary mismatch")                       \
	X(PMT_ETRUNC, -7, "file truncated")                                    \
	X(PMT_ECORRUPT, -8, "file damaged")                                    \
	X(PMT_ECRC, -9, "checksum mismatch")                                   \
	X(PMT_ELIMIT, -10, "a size or count exceeds the reader's limits")      \
	X(PMT_ECODEC, -11, "unknown or failed codec")                          \
	X(PMT_EORDER, -12, "timestamps out of order")                          \
	X(PMT_ESTATE, -13, "call not allowed in this state")                   \
	X(PMT_ENOENT, -14, "no such item")                                     \
	X(PMT_ERESERVED, -15, "reserved bits are not zero")

enum pmt_error {
#define PMT_ERR_ENUM_(name, value, msg) name = (value),
	PMT_ERRORS(PMT_ERR_ENUM_)
#undef PMT_ERR_ENUM_
};

/* Static message for a code; never NULL (unknown codes give "unknown error"). */
const char *pmt_strerror(int err);

/* ------------------------------------------------------------- event model */

/*
 * Levels: a trace holds one host level (physical CPUs) and zero or more guest
 * levels (virtual CPUs). A stream is one (level, cpu) pair.
 */
enum pmt_level_kind {
	PMT_LEVEL_HOST = 0,
	PMT_LEVEL_GUEST = 1,
};

/* Event types. These in-memory values are not the on-disk record types. */
enum pmt_event_type {
	PMT_EV_SWITCH = 1,  /* prev leaves the CPU in prev_state, next runs      */
	PMT_EV_MIGRATE,     /* the kernel moved tid from from_cpu to to_cpu      */
	PMT_EV_WAKEUP,      /* tid woken towards target_cpu by waker             */
	PMT_EV_FORK,        /* parent created child (child_pid = its thread group)*/
	PMT_EV_EXEC,        /* tid executed a program; comm is its new name       */
	PMT_EV_EXIT,        /* tid exited                                         */
	PMT_EV_NAME,        /* tid (of thread group pid) is named comm from now   */
	PMT_EV_LOST,        /* count events lost on this stream over span         */
	PMT_EV_MARKER,      /* user text (also clock-sync pulses)                 */
	PMT_EV_HV,          /* hypervisor event (exit, port I/O, TSC offset...)   */
	PMT_EV_TYPE_MAX_
};

/*
 * Normalized task state at switch-out (prev_state). The recorder maps each
 * kernel's own encoding to these; on disk they are stored as these numbers.
 */
enum pmt_task_state {
	PMT_STATE_RUNNABLE = 0, /* preempted: still wants the CPU (R, R+)          */
	PMT_STATE_SLEEPING = 1, /* interruptible sleep (S)                          */
	PMT_STATE_DISK = 2,     /* uninterruptible sleep (D)                        */
	PMT_STATE_STOPPED = 3,  /* T                                                */
	PMT_STATE_TRACED = 4,   /* t                                                */
	PMT_STATE_DEAD = 5,     /* X, Z: the task is gone                           */
	PMT_STATE_PARKED = 6,   /* P                                                */
	PMT_STATE_IDLE = 7,     /* I (idle kernel thread)                           */
	PMT_STATE_OFFLINE = 8,  /* Xen vCPU offline                                 */
	PMT_STATE_OTHER = 9,    /* anything else: blocked                           */
	PMT_STATE_MAX_
};

/* Flags of PMT_EV_WAKEUP. */
#define PMT_WAKE_NEW 0x1u    /* first wakeup of a new task (sched_wakeup_new)   */
#define PMT_WAKE_WAKING 0x2u /* from sched_waking (target_cpu = last CPU)       */

/* Flags of PMT_EV_FORK. */
#define PMT_FORK_THREAD 0x1u /* a thread of the parent's group (CLONE_THREAD)  */

/* Kinds of PMT_EV_HV. */
enum pmt_hv_kind {
	PMT_HV_EXIT = 1,       /* a = exit reason, b = extra info                 */
	PMT_HV_PIO = 2,        /* a = port, b = value (| 1<<63 for a read)        */
	PMT_HV_TSC_OFFSET = 3, /* a = new offset (two's complement), b = previous  */
	PMT_HV_SYNC_WRITE = 4, /* a vCPU thread wrote a sync pulse: a = port, b = fd*/
	PMT_HV_KIND_MAX_
};

/*
 * Entity ids ("tid") are u32 within a level. 0 is always the CPU's idle
 * entity (Linux swapper/N, Xen's idle vCPU of that pCPU). Xen vCPUs are
 * PMT_XEN_ENTITY(dom, vcpu).
 */
#define PMT_TID_IDLE 0u
#define PMT_XEN_ENTITY(dom, vcpu) \
	(0x80000000u | ((uint32_t)(dom) & 0x7fffu) << 16 | ((uint32_t)(vcpu) & 0xffffu))

/*
 * One event. The writer reads level, cpu, ts, type and the member of the union
 * that the type names; time_ns is ignored on write and filled on read.
 * String fields: pointer + length (not NUL-terminated on write; the reader
 * NUL-terminates them). Strings longer than PMT_MAX_STRING are cut.
 */
#define PMT_MAX_STRING 4096u
struct pmt_str {
	const char *s;
	uint32_t len;
};

struct pmt_event {
	uint64_t ts;      /* raw timestamp in the level's clock (ticks)             */
	int64_t time_ns;  /* reader: reference-clock ns of ts                       */
	uint16_t level;   /* level id                                               */
	uint16_t type;    /* enum pmt_event_type                                    */
	uint32_t cpu;     /* CPU of the stream, within the level                    */
	union {
		struct { uint32_t prev_tid, prev_state, next_tid; } sw;
		struct { uint32_t tid, from_cpu, to_cpu; } migrate;
		struct { uint32_t tid, target_cpu, waker_tid, flags; } wakeup;
		struct { uint32_t parent_tid, child_tid, child_pid, flags; } fork;
		struct { uint32_t tid; struct pmt_str comm; } exec;
		struct { uint32_t tid; } exit;
		struct { uint32_t tid, pid; struct pmt_str comm; } name;
		struct { uint64_t count; uint64_t span; } lost; /* span in raw ticks,
			from ts (the gap's start) to the next event known on the stream;
			0 when unknown */
		struct { struct pmt_str text; } marker;
		struct { uint32_t kind, tid; uint64_t a, b; } hv;
	} u;
};

/* ------------------------------------------------------ file description */

/*
 * A clock. Reference nanoseconds of a raw value:
 *   time_ns = ref_base_ns + floor((raw - raw_base) * mult_num / mult_den)
 * computed with 128-bit intermediates (raw - raw_base as a signed 64-bit value).
 * The host clock maps to itself in ns; a guest clock maps onto the host's.
 */
struct pmt_clock {
	const char *name;       /* "x86-tsc", "mono", "local", ...               */
	uint64_t freq_hz;       /* nominal ticks per second (0 if unknown)        */
	uint64_t raw_base;      /* raw value of the mapping's origin              */
	int64_t ref_base_ns;    /* reference ns at raw_base                       */
	uint64_t mult_num;      /* ns per tick = mult_num / mult_den (both > 0)   */
	uint64_t mult_den;
	uint64_t uncertainty_ns;/* half-width of the mapping's error (0 = exact)  */
	uint32_t flags;         /* PMT_CLOCK_* */
};
#define PMT_CLOCK_FREQ_ASSUMED 0x1u /* freq_hz was assumed, not measured      */
#define PMT_CLOCK_SYNCED 0x2u       /* mapped onto the host by sync pulses     */
#define PMT_CLOCK_OFFSET 0x4u       /* mapped by a known (given) offset        */

/* CPU topology of one CPU of a level (-1 when unknown). */
struct pmt_cpu_topo {
	int32_t package, die, core, thread, node;
};

struct pmt_level {
	uint16_t id;            /* level id (index in the file's level table)     */
	uint16_t kind;          /* enum pmt_level_kind                            */
	uint16_t clock;         /* clock id                                       */
	const char *name;       /* "host", a guest's name                         */
	uint32_t ncpus;         /* CPUs of this level: streams use 0..ncpus-1     */
	const struct pmt_cpu_topo *topo; /* ncpus entries, or NULL                 */
	int32_t guest_id;       /* Xen domid / QEMU pid of a guest; -1 otherwise  */
};

/* Guest CPU guest_cpu of level guest_level is host entity host_tid. */
struct pmt_binding {
	uint16_t guest_level;
	uint16_t host_level;
	uint32_t guest_cpu;
	uint32_t host_tid;
};

/* A task in the initial task table. */
struct pmt_task {
	uint16_t level;
	uint32_t tid;
	uint32_t pid;           /* thread group id                                */
	uint32_t flags;         /* PMT_TASK_*                                     */
	const char *comm;
};
#define PMT_TASK_KTHREAD 0x1u
#define PMT_TASK_VCPU 0x2u  /* a host entity that is a guest's vCPU            */

/* ------------------------------------------------------------------ writer */

typedef struct pmt_writer pmt_writer;

/* Called with bytes to append; returns 0 or a negative PMT_E* code. */
typedef int (*pmt_write_fn)(void *opaque, const void *buf, size_t len);

/* In-memory values (not the on-disk codec bytes): zero-initialized options
 * give the default, zlib. */
enum pmt_codec {
	PMT_CODEC_ZLIB = 0,
	PMT_CODEC_NONE = 1,
};

struct pmt_writer_opts {
	uint32_t chunk_bytes;   /* cut a chunk when its raw payload reaches this
				   (0: default 1 MiB; max PMT_MAX_CHUNK_RAW)       */
	uint64_t chunk_ns;      /* also cut after this much trace time (0: never) */
	int codec;              /* enum pmt_codec (default zlib)                  */
	int level;              /* zlib level 1..9 (0: default)                   */
};

/* Open a file for writing (truncates). NULL on error with *err set. */
pmt_writer *pmt_writer_open(const char *path, const struct pmt_writer_opts *opts,
			    int *err);
/* Write through a callback (tests, memory buffers). */
pmt_writer *pmt_writer_open_cb(pmt_write_fn fn, void *opaque,
			       const struct pmt_writer_opts *opts, int *err);

/*
 * Description, before pmt_writer_begin() (ids are assigned in call order,
 * from 0, and returned). Strings and arrays are copied. set_meta and add_task
 * are also allowed after begin: they are then written as a late section at the
 * next flush or at close (a recorder learns names during the run).
 */
int pmt_writer_set_meta(pmt_writer *w, const char *key, const char *value);
int pmt_writer_add_clock(pmt_writer *w, const struct pmt_clock *c);
int pmt_writer_add_level(pmt_writer *w, const struct pmt_level *l); /* l->id ignored */
int pmt_writer_add_binding(pmt_writer *w, const struct pmt_binding *b);
int pmt_writer_add_task(pmt_writer *w, const struct pmt_task *t);
/* Write the header. After it only events, flushes and late sections. */
int pmt_writer_begin(pmt_writer *w);

/*
 * Append one event to stream (ev->level, ev->cpu). Timestamps must not go
 * backwards within a stream (PMT_EORDER). No I/O unless a chunk is cut.
 */
int pmt_writer_append(pmt_writer *w, const struct pmt_event *ev);
/* Cut and write every open chunk now (a recorder calls this periodically so
 * that a killed process leaves a file readable up to its last flush). */
int pmt_writer_flush(pmt_writer *w);
/* After begin: metadata, clocks updates (same id) known only at the end, e.g.
 * a clock calibrated at start and end. Written as a late section at flush/close. */
int pmt_writer_update_clock(pmt_writer *w, uint16_t id, const struct pmt_clock *c);
/* Write remaining chunks, late sections, the index and the trailer; free w.
 * Returns the first error met during the writer's life, or 0. NULL is fine. */
int pmt_writer_close(pmt_writer *w);
/* Free without finishing the file (what is flushed stays recoverable). */
void pmt_writer_abort(pmt_writer *w);
/* Bytes written so far and events appended so far. */
uint64_t pmt_writer_bytes(const pmt_writer *w);
uint64_t pmt_writer_events(const pmt_writer *w);

/* ------------------------------------------------------------------ reader */

typedef struct pmt_reader pmt_reader;
typedef struct pmt_cursor pmt_cursor;

/* Reads len bytes at offset into buf; returns bytes read (short at EOF) or <0. */
typedef int64_t (*pmt_read_fn)(void *opaque, void *buf, size_t len, uint64_t offset);

#define PMT_OPEN_SCAN 0x1u     /* ignore the index: scan chunk headers        */
#define PMT_OPEN_TOLERANT 0x2u /* keep going past damaged chunks (skip them)  */
/* Cursors read, check and inflate the chunks they will need next on a
 * second thread (results are the same); this flag keeps all of it on the
 * calling thread. Without it, a pmt_read_fn may be called from that thread,
 * concurrently with calls from the caller's thread. */
#define PMT_OPEN_ONE_THREAD 0x4u

/* Reader limits (also in docs/FORMAT.md). */
#define PMT_MAX_CHUNK_RAW (64u << 20)   /* raw payload of one chunk          */
#define PMT_MAX_SECTION (64u << 20)     /* one header section                */
#define PMT_MAX_LEVELS 256u
#define PMT_MAX_CPUS 4096u              /* per level                         */

/*
 * Open a file. Without a valid footer the reader scans and recovers every
 * complete chunk (info.recovered = 1). NULL on error with *err set; the
 * reason with its offset is in *err only (use pmt_reader_open_ex for text).
 */
pmt_reader *pmt_reader_open(const char *path, unsigned flags, int *err);
/* Same, and on failure copies "offset N: what was expected" into msg. */
pmt_reader *pmt_reader_open_ex(const char *path, unsigned flags, int *err,
			       char *msg, size_t msglen);
pmt_reader *pmt_reader_open_cb(pmt_read_fn fn, void *opaque, uint64_t size,
			       unsigned flags, int *err, char *msg, size_t msglen);
void pmt_reader_close(pmt_reader *r);

/* One stream of the file. */
struct pmt_stream_info {
	uint16_t level;
	uint32_t cpu;
	uint64_t events;        /* records in its chunks                          */
	uint64_t chunks;
	uint64_t lost_events;   /* sum of its lost records' counts                */
	uint64_t lost_records;
	uint64_t first_ts, last_ts;   /* raw                                      */
	int64_t first_ns, last_ns;    /* reference ns                             */
};

/* A place where the reader found damage. */
struct pmt_damage {
	uint64_t offset;        /* file offset                                    */
	int code;               /* PMT_E*                                         */
	char what[120];         /* what was expected there                        */
};

struct pmt_info {
	uint32_t version_major, version_minor;
	uint64_t file_size;
	int recovered;          /* 1: no valid footer, chunks found by scanning   */
	int indexed;            /* 1: opened through the footer index             */
	uint64_t events;        /* total records                                  */
	uint64_t lost_events;   /* total counts of lost records                   */
	int64_t first_ns, last_ns;
	size_t nmeta;
	const char *const *meta_keys;
	const char *const *meta_values;
	size_t nclocks;
	const struct pmt_clock *clocks;
	size_t nlevels;
	const struct pmt_level *levels;
	size_t nbindings;
	const struct pmt_binding *bindings;
	size_t ntasks;
	const struct pmt_task *tasks;
	size_t nstreams;
	const struct pmt_stream_info *streams;
	size_t ndamage;         /* damaged places met so far (open and reads)     */
	const struct pmt_damage *damage;
};

/* Valid until pmt_reader_close(); ndamage grows as cursors meet damage (and
 * the damage array may then move: read it through this struct each time). */
const struct pmt_info *pmt_reader_info(pmt_reader *r);
/* Metadata value for key, or NULL. */
const char *pmt_reader_meta(pmt_reader *r, const char *key);
/* Reference ns of a raw timestamp of a level. */
int64_t pmt_reader_to_ns(pmt_reader *r, uint16_t level, uint64_t ts);
/* Verify every chunk (CRC, decoding, ordering); appends to info.damage.
 * Returns the number of damaged places (0: healthy) or <0 on I/O error. */
int64_t pmt_reader_check(pmt_reader *r);

/* Stream index (into info.streams) of (level, cpu), or -1. */
int pmt_reader_stream(pmt_reader *r, uint16_t level, uint32_t cpu);

/* Cursor over one stream, in file order. */
pmt_cursor *pmt_cursor_open_stream(pmt_reader *r, int stream, int *err);
/* Cursor over all streams (or those with want[stream] != 0 when want is not
 * NULL), merged by time_ns; ties in stream index order, then file order. */
pmt_cursor *pmt_cursor_open_merged(pmt_reader *r, const uint8_t *want, int *err);
/*
 * Next event, or NULL at the end or on error (then *err, if given, is <0 and
 * the damage is in info.damage; with PMT_OPEN_TOLERANT damaged chunks are
 * skipped instead). The event is valid until the next call on c.
 */
const struct pmt_event *pmt_cursor_next(pmt_cursor *c, int *err);
/*
 * The next events, up to max, as pmt_cursor_next would give them one by
 * one: pointers into ev[0..n); every one stays valid until the next call on
 * c. Returns n; 0 at the end or on error (*err < 0, as for pmt_cursor_next;
 * an error met after some events is returned by the following call). One
 * call per batch: for readers that go through millions of events.
 */
size_t pmt_cursor_next_batch(pmt_cursor *c, const struct pmt_event **ev, size_t max, int *err);
/* Position so that the next event is the first with time_ns >= t (through
 * the index: only chunks that may hold it are read). */
int pmt_cursor_seek(pmt_cursor *c, int64_t t_ns);
void pmt_cursor_close(pmt_cursor *c);

/* ------------------------------------------------------------ utilities */

/* Name of an event type / task state / hv kind ("switch", "R", "exit"...). */
const char *pmt_event_type_name(int type);
const char *pmt_state_name(int state);
const char *pmt_hv_kind_name(int kind);
/* Raw ticks -> ns with a clock's mapping (as the reader does). */
int64_t pmt_clock_to_ns(const struct pmt_clock *c, uint64_t raw);

#ifdef __cplusplus
}
#endif
#endif /* PMT_H */
