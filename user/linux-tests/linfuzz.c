/* linfuzz SEED CALLS: the Linux half of sysfuzz (docs/reliability.md). A static musl
 * program, so it runs under dinos's Linux personality, that makes CALLS raw Linux
 * system calls drawn from the whole Linux table (and numbers beyond it) with hostile
 * arguments of the right kind: its own descriptors and absurd ones, paths inside the
 * sandbox only, pointers into its scratch mapping (whose writable part ends in an
 * unmapped page), null, kernel-half and non-canonical pointers, huge lengths.
 *
 * sysfuzz starts it as a worker (every fourth chunk): in its own process group, with
 * its standard descriptors on /dev/null and its working directory in a sandbox
 * (/fuzz or /tmp/fuzz). What it never does, so that it cannot harm the machine it
 * runs on: a path outside the sandbox (every path is built from a small alphabet with
 * no "..", after a sandbox prefix or relative to the sandbox), a signal to a process
 * outside its own family (never -1, 1 or an arbitrary pid), a clone whose exit signal
 * could reach the fuzzer's parent, a new RLIMIT_CORE or RLIMIT_CPU, a change of the
 * SIGUSR2 handler (the parent's wake-up), or a MAP_FIXED mapping over memory it runs
 * on. Every row of the kernel's Linux table (kernel/linux/src/table.rs) has a row
 * here: `cargo xtask` checks that at build time. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef uint64_t u64;

static long raw6(long n, u64 a, u64 b, u64 c, u64 d, u64 e, u64 f)
{
    register u64 r10 __asm__("r10") = d;
    register u64 r8 __asm__("r8") = e;
    register u64 r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* clone and vfork: a child that shares the memory (or the stack) cannot run C code
 * safely, so it ends at once, in the instructions right after the call. */
static long raw_clone_exit(long n, u64 a, u64 b, u64 c, u64 d, u64 e)
{
    register u64 r10 __asm__("r10") = d;
    register u64 r8 __asm__("r8") = e;
    long ret;
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "mov $60, %%eax\n\t"
                     "xor %%edi, %%edi\n\t"
                     "syscall\n\t"
                     "1:"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}

/* ---- the generator ---- */

static u64 rng_state;
static u64 next(void)
{
    u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static u64 below(u64 n) { return n ? next() % n : 0; }
static int one_in(u64 n) { return below(n) == 0; }
#define PICK(...) pick_((const u64[]){__VA_ARGS__}, sizeof((const u64[]){__VA_ARGS__}) / 8)
static u64 pick_(const u64 *v, u64 n) { return v[below(n)]; }

#define PAGE 4096UL
#define NO_SUCH_PID 0x7fff0000UL
#define AT_FDCWD_ (-100L)
#define SIGUSR2_ 12

static char *scratch; /* 6 pages: 0-1 outputs, 2 hole, 3 zeros, 4 hole, 5 guard */
static char input[4096]; /* paths and structures; the kernel never writes here */
static int fds[16], nfds;
static int kids[8], nkids;
static struct { u64 at, len; } maps[8];
static int nmaps;
static int me, depth, creds;
static u64 budget;

static void push_fd(long fd)
{
    if (fd < 0 || fd > 4096)
        return;
    if (nfds < 16)
        fds[nfds++] = (int)fd;
    else
        fds[below(16)] = (int)fd;
}

static u64 bad_ptr(void)
{
    u64 s = (u64)scratch;
    switch (below(8)) {
    case 0: return 0;
    case 1: return below(0x10000);
    case 2: return 0xffff800000000000ULL + below(1 << 30) * 8;
    case 3: return 0x0000800000000000ULL + below(1 << 20);
    case 4: return 0xfffffffffffff000ULL + below(PAGE);
    case 5: return s + 2 * PAGE + below(PAGE);
    case 6: return 0x00007ffffffff000ULL + below(PAGE);
    default: return next() | 0xffff800000000000ULL;
    }
}

/* Where the kernel may write (any length: the writable part ends in a hole). */
static u64 out(void)
{
    u64 s = (u64)scratch;
    switch (below(8)) {
    case 0: case 1: case 2: case 3: return s + below(2 * PAGE - 64);
    case 4: return s + 2 * PAGE - 1 - below(64);
    default: return bad_ptr();
    }
}

/* Where the kernel reads from. */
static u64 data(void)
{
    switch (below(6)) {
    case 0: return (u64)input;
    case 1: return (u64)scratch + 4 * PAGE - 1 - below(300); /* zeros into a hole */
    default: return out();
    }
}

static u64 len(void)
{
    switch (below(8)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return below(64);
    case 3: return PICK(4095, 4096, 4097, 8192, 65536);
    case 4: return PICK(~0ULL, 1ULL << 40, 1ULL << 63, 0x7fffffff, 0xffffffff);
    default: return below(600);
    }
}

static u64 fd(void)
{
    u64 r = below(10);
    if (r < 6 && nfds)
        return (u64)(long)fds[below(nfds)];
    if (r < 8)
        return below(24);
    return PICK((u64)-1, 63, 64, 1000, 0x80000000ULL, 0x7fffffff, 1ULL << 33, (u64)AT_FDCWD_);
}

static u64 dirfd(void) { return one_in(2) ? (u64)AT_FDCWD_ : fd(); }

static const char *const COMPONENTS[] = {"a", "b", "c", "d", "m", "f0", "f1", "a", "m", ".",
                                         "\xff\xfe", "\xc3\xa9t\xc3\xa9", "L255", "M300"};
static const char *const PREFIXES[] = {"/fuzz/", "/tmp/fuzz/", "", "./", "/fuzz//", "/tmp/fuzz/./"};

/* A path in the sandbox, in input slot 0 or 1 (or a pointer the kernel must refuse). */
static u64 path(int slot)
{
    if (one_in(20))
        return bad_ptr();
    if (one_in(20))
        return (u64)scratch + 4 * PAGE - 1 - below(64); /* zeros running into a hole */
    char *p = input + slot * 1536;
    size_t n = 0;
    const char *pre = PREFIXES[below(6)];
    memcpy(p, pre, strlen(pre));
    n = strlen(pre);
    u64 count = 1 + below(3);
    for (u64 i = 0; i < count; i++) {
        if (i)
            p[n++] = '/';
        const char *c = COMPONENTS[below(sizeof COMPONENTS / sizeof *COMPONENTS)];
        if (!strcmp(c, "L255") || !strcmp(c, "M300")) {
            size_t k = c[0] == 'L' ? 255 : 300;
            memset(p + n, c[0], k);
            n += k;
        } else {
            memcpy(p + n, c, strlen(c));
            n += strlen(c);
        }
    }
    if (one_in(8))
        p[n++] = '/';
    if (one_in(30)) { /* longer than PATH_MAX: ENAMETOOLONG */
        memset(p + n, 'q', 1530 - n);
        n = 1530;
    }
    p[n] = 0;
    return (u64)p;
}

/* Only its own family, or pids that cannot exist. Never -1, 1 or anyone else. */
static u64 pid(void)
{
    switch (below(8)) {
    case 0: if (nkids) return (u64)(long)kids[below(nkids)]; /* fall through */
    case 1: return 0;
    case 2: return (u64)(long)me;
    case 3: return (u64)-(long)getpgid(0);
    case 4: return NO_SUCH_PID + below(1 << 20);
    case 5: return (u64) - (long)(NO_SUCH_PID + below(1 << 20));
    default: return (u64)(long)me;
    }
}

static u64 sig(void)
{
    switch (below(10)) {
    case 0: return 0;
    case 1: return PICK(32, 33, 64, 65, 255, ~0ULL);
    case 2: return PICK(9, 19, 18);
    default: return 1 + below(31);
    }
}

static u64 id(void) { return PICK(0, 1000, 65534, 0xffffffff, next()); }

/* A structure of `n` 8-byte words in the input area at `at` (small numbers mostly). */
static u64 words(size_t at, int n)
{
    if (one_in(8))
        return bad_ptr();
    u64 *w = (u64 *)(input + at);
    for (int i = 0; i < n; i++)
        w[i] = PICK(0, 1, 2, 999999999, 1000000000, ~0ULL, 1ULL << 63, below(1000), next());
    return (u64)w;
}

/* A timespec or timeval (or a bad pointer): mostly short, so that a chunk does not
 * spend its time asleep; sometimes invalid or forever (the parent's SIGUSR2 ends
 * those). */
static u64 timespec(size_t at)
{
    if (one_in(8))
        return one_in(2) ? 0 : bad_ptr();
    u64 *w = (u64 *)(input + at);
    w[0] = one_in(8) ? PICK(1, ~0ULL, 1ULL << 63, next()) : 0;
    w[1] = PICK(0, 1000, 1000000, 5000000, 999999999, 1000000000, next());
    w[2] = w[0];
    w[3] = w[1];
    return (u64)w;
}

/* A sigset without SIGUSR2 (the parent's wake-up must get through). */
static u64 sig_set(size_t at)
{
    if (one_in(6))
        return bad_ptr();
    u64 *w = (u64 *)(input + at);
    *w = (next() & next()) & ~(1ULL << (SIGUSR2_ - 1));
    return (u64)w;
}

/* A loopback (or unspecified) IPv4 address; sometimes another family or garbage. */
static u64 sockaddr(void)
{
    if (one_in(6))
        return bad_ptr();
    unsigned char *a = (unsigned char *)input + 3840;
    static const unsigned char ips[3][4] = {{127, 0, 0, 1}, {0, 0, 0, 0}, {127, 1, 2, 3}};
    u64 port = PICK(47000, 47001, 47002, 0);
    memset(a, 0, 16);
    a[0] = one_in(8) ? (unsigned char)PICK(0, 1, 10, 0xff) : 2;
    a[2] = (unsigned char)(port >> 8);
    a[3] = (unsigned char)port;
    memcpy(a + 4, ips[below(3)], 4);
    return (u64)a;
}

static u64 socklen_ptr(void)
{
    if (one_in(6))
        return bad_ptr();
    uint32_t *l = (uint32_t *)(input + 3900);
    *l = (uint32_t)PICK(16, 0, 1, 4096, 0xffffffff);
    return (u64)l;
}

/* An own mapping (or the hole, or a bad pointer), for munmap/mprotect/madvise/msync. */
static u64 own_map(u64 *l)
{
    if (nmaps && !one_in(4)) {
        int i = (int)below(nmaps);
        *l = one_in(8) ? next() : maps[i].len;
        return maps[i].at + PAGE * below(2);
    }
    *l = below(1 << 20);
    return one_in(2) ? (u64)scratch + 2 * PAGE : bad_ptr();
}

/* ---- the table ---- */

enum { F_NONE, F_FORK, F_CLONE, F_SPECIAL };
struct row {
    int nr;
    const char *name;
    /* f fd, d dirfd, p path, q second path, o out, i data, l length, n flags or int,
     * m mode, s signal, k pid, u uid, t struct, c small int, x word, 0 zero */
    const char *args;
    int weight;
};

static const struct row ROWS[] = {
    {0, "read", "fol", 30}, {1, "write", "fil", 30}, {2, "open", "pnm", 40},
    {3, "close", "f", 20}, {4, "stat", "po", 10}, {5, "fstat", "fo", 10},
    {6, "lstat", "po", 8}, {7, "poll", "Pcc", 8}, {8, "lseek", "fxc", 10},
    {16, "ioctl", "fIo", 10}, {17, "pread64", "folx", 10}, {18, "pwrite64", "filx", 12},
    {19, "readv", "fVc", 8}, {20, "writev", "fVc", 8}, {21, "access", "pc", 6},
    {22, "pipe", "o", 8}, {23, "select", "cFFFw", 4}, {32, "dup", "f", 8},
    {33, "dup2", "fF", 8}, {40, "sendfile", "ffol", 6}, {41, "socket", "S", 15},
    {42, "connect", "fAl", 10}, {43, "accept", "foL", 6}, {44, "sendto", "filnAl", 10},
    {45, "recvfrom", "folnoL", 10}, {48, "shutdown", "fc", 4}, {49, "bind", "fAl", 10},
    {50, "listen", "fc", 6}, {51, "getsockname", "foL", 4}, {52, "getpeername", "foL", 4},
    {54, "setsockopt", "fOOtl", 6}, {55, "getsockopt", "fOOoL", 6},
    {46, "sendmsg", "ftn", 8}, {47, "recvmsg", "ftn", 8}, {53, "socketpair", "ccco", 6},
    {188, "setxattr", "pqiln", 3}, {189, "lsetxattr", "pqiln", 3},
    {190, "fsetxattr", "fqiln", 3}, {191, "getxattr", "pqol", 3},
    {192, "lgetxattr", "pqol", 3}, {193, "fgetxattr", "fqol", 3},
    {194, "listxattr", "pol", 3}, {195, "llistxattr", "pol", 3},
    {196, "flistxattr", "fol", 3}, {197, "removexattr", "pq", 3},
    {198, "lremovexattr", "pq", 3}, {199, "fremovexattr", "fq", 3},
    {203, "sched_setaffinity", "Klt", 3}, {309, "getcpu", "ooo", 3},
    {288, "accept4", "foLn", 6}, {72, "fcntl", "fCx", 10}, {74, "fsync", "f", 4},
    {75, "fdatasync", "f", 4}, {76, "truncate", "px", 8}, {77, "ftruncate", "fx", 8},
    {79, "getcwd", "ol", 4}, {80, "chdir", "p", 6}, {81, "fchdir", "f", 4},
    {82, "rename", "pq", 15}, {83, "mkdir", "pm", 20}, {84, "rmdir", "p", 12},
    {85, "creat", "pm", 10}, {86, "link", "pq", 10}, {87, "unlink", "p", 15},
    {88, "symlink", "qp", 10}, {89, "readlink", "pol", 6}, {90, "chmod", "pm", 8},
    {91, "fchmod", "fm", 6}, {92, "chown", "puu", 6}, {93, "fchown", "fuu", 6},
    {94, "lchown", "puu", 6}, {137, "statfs", "po", 4}, {138, "fstatfs", "fo", 4},
    {162, "sync", "", 1}, {217, "getdents64", "fol", 10}, {257, "openat", "dpnm", 30},
    {258, "mkdirat", "dpm", 10}, {260, "fchownat", "dpuun", 4}, {262, "newfstatat", "dpon", 8},
    {263, "unlinkat", "dpn", 10}, {264, "renameat", "dpdq", 8}, {265, "linkat", "dpdqn", 6},
    {266, "symlinkat", "qdp", 6}, {267, "readlinkat", "dpol", 4}, {268, "fchmodat", "dpm", 4},
    {269, "faccessat", "dpc", 4}, {270, "pselect6", "cFFFwT", 4}, {271, "ppoll", "PcwT", 6},
    {280, "utimensat", "dpwn", 6}, {292, "dup3", "fFn", 6}, {293, "pipe2", "on", 6},
    {316, "renameat2", "dpdqn", 6}, {332, "statx", "dpnno", 8}, {439, "faccessat2", "dpcn", 4},
    {9, "mmap", "", 15}, {10, "mprotect", "", 8}, {11, "munmap", "", 10},
    {12, "brk", "x", 2}, {26, "msync", "", 4}, {28, "madvise", "", 6},
    {13, "rt_sigaction", "", 12}, {14, "rt_sigprocmask", "cTo8", 10},
    {15, "rt_sigreturn", "", 1}, {34, "pause", "", 1}, {36, "getitimer", "co", 4},
    {37, "alarm", "c", 3}, {38, "setitimer", "cwo", 4}, {62, "kill", "ks", 15},
    {127, "rt_sigpending", "o8", 4}, {131, "sigaltstack", "to", 3},
    {130, "rt_sigsuspend", "T8", 1}, {200, "tkill", "Ks", 6}, {234, "tgkill", "kKs", 6},
    {24, "sched_yield", "", 4}, {39, "getpid", "", 3}, {56, "clone", "", 4},
    {57, "fork", "", 6}, {58, "vfork", "", 2}, {59, "execve", "pEE", 6},
    {60, "exit", "", 1}, {61, "wait4", "WonR", 12}, {95, "umask", "m", 4},
    {97, "getrlimit", "co", 4}, {102, "getuid", "", 2}, {104, "getgid", "", 2},
    {105, "setuid", "u", 2}, {106, "setgid", "u", 2}, {107, "geteuid", "", 2},
    {108, "getegid", "", 2}, {109, "setpgid", "", 6}, {110, "getppid", "", 2},
    {111, "getpgrp", "", 2}, {112, "setsid", "", 3}, {113, "setreuid", "uu", 2},
    {114, "setregid", "uu", 2}, {115, "getgroups", "co", 3}, {116, "setgroups", "ct", 2},
    {117, "setresuid", "uuu", 2}, {118, "getresuid", "ooo", 2}, {119, "setresgid", "uuu", 2},
    {120, "getresgid", "ooo", 2}, {121, "getpgid", "x", 3}, {124, "getsid", "x", 3},
    {157, "prctl", "cxxxx", 6}, {158, "arch_prctl", "", 2}, {160, "setrlimit", "", 4},
    {186, "gettid", "", 2}, {202, "futex", "", 10}, {204, "sched_getaffinity", "klo", 3},
    {218, "set_tid_address", "o", 3}, {231, "exit_group", "", 1}, {247, "waitid", "ckon", 6},
    {273, "set_robust_list", "ol", 3}, {274, "get_robust_list", "Koo", 3}, {334, "rseq", "olnx", 3}, {302, "prlimit64", "", 4},
    {35, "nanosleep", "wo", 8}, {63, "uname", "o", 3}, {96, "gettimeofday", "oo", 3},
    {98, "getrusage", "co", 3}, {99, "sysinfo", "o", 3}, {100, "times", "o", 3},
    {201, "time", "o", 3}, {228, "clock_gettime", "co", 4}, {229, "clock_getres", "co", 3},
    {230, "clock_nanosleep", "cnwo", 4}, {318, "getrandom", "oln", 4},
};
#define NROWS (sizeof ROWS / sizeof *ROWS)

static int in_table(long n)
{
    for (size_t i = 0; i < NROWS; i++)
        if (ROWS[i].nr == n)
            return 1;
    return 0;
}

static u64 arg(char t, int *slot)
{
    switch (t) {
    case 'f': return fd();
    case 'F': return one_in(2) ? fd() : below(70);
    case 'd': return dirfd();
    case 'p': return path(0);
    case 'q': return path(1);
    case 'o': return out();
    case 'i': return data();
    case 'l': return len();
    case 'n': return one_in(3) ? next() & next() : below(0x1000) << (below(4) * 4);
    case 'm': return PICK(0644, 0755, 0, 07777, 04755, next());
    case 's': return sig();
    case 'k': return pid();
    case 'K': return PICK((u64)me, NO_SUCH_PID + below(1000), 0, (u64) - (long)NO_SUCH_PID);
    case 'u': return id();
    case 't': return words(3072 + 64 * (*slot)++, 4);
    case 'T': return sig_set(3328 + 8 * (*slot)++);
    case 'w': return timespec(3072 + 64 * (*slot)++);
    case 'c': return one_in(8) ? next() : below(16);
    case '8': return PICK(8, 8, 8, 0, 16, ~0ULL);
    case 'x': return PICK(0, 1, below(100000), next(), ~0ULL, 1ULL << 63);
    case 'A': return sockaddr();
    case 'L': return socklen_ptr();
    case 'I': return PICK(0x5401, 0x5402, 0x5413, 0x541b, 0x5421, 0x540f, 0x5410, next() & 0xffffffff);
    case 'C': return PICK(0, 1, 2, 3, 4, 1030, next() & 0xffff);
    case 'O': return PICK(1, 6, 0, 2, 3, 4, 20, 21, next() & 0xffff);
    case 'S': return 0; /* filled in by the socket row */
    case 'V': { /* an iovec array of up to 4 entries */
        if (one_in(6))
            return bad_ptr();
        u64 *v = (u64 *)(input + 3584);
        for (int i = 0; i < 4; i++) {
            v[2 * i] = one_in(2) ? out() : data();
            v[2 * i + 1] = len();
        }
        return (u64)v;
    }
    case 'P': { /* a pollfd array */
        if (one_in(6))
            return bad_ptr();
        char *p = input + 3456;
        for (int i = 0; i < 8; i++) {
            int32_t f = (int32_t)fd();
            int16_t ev = (int16_t)PICK(1, 4, 5, 0xffff);
            memcpy(p + 8 * i, &f, 4);
            memcpy(p + 8 * i + 4, &ev, 2);
            memset(p + 8 * i + 6, 0, 2);
        }
        return (u64)p;
    }
    case 'W': return PICK((u64)-1, (u64)-1, 0, NO_SUCH_PID, nkids ? (u64)kids[0] : 0);
    case 'R': return one_in(2) ? 0 : out();
    case 'E': { /* argv/envp: a short list of pointers, or a bad one */
        if (one_in(4))
            return one_in(2) ? 0 : bad_ptr();
        u64 *v = (u64 *)(input + 3968);
        v[0] = (u64)"arg";
        v[1] = one_in(3) ? bad_ptr() : 0;
        v[2] = 0;
        return (u64)v;
    }
    default: return next();
    }
}

static void fuzz_signal(int s) { (void)s; }

/* Make one call. */
static void step(void)
{
    u64 a[6];
    for (int i = 0; i < 6; i++)
        a[i] = next();
    long n;
    const struct row *r = 0;
    if (one_in(40)) { /* unassigned numbers and numbers past the table: random words */
        n = one_in(2) ? (long)below(448) : (long)PICK(448, 512, 1000, 1ULL << 32, ~0ULL);
        if (in_table(n))
            return;
        raw6(n, a[0], a[1], a[2], a[3], a[4], a[5]);
        return;
    }
    u64 total = 0;
    for (size_t i = 0; i < NROWS; i++)
        total += ROWS[i].weight;
    u64 w = below(total);
    for (size_t i = 0; i < NROWS; i++) {
        if (w < (u64)ROWS[i].weight) {
            r = &ROWS[i];
            break;
        }
        w -= ROWS[i].weight;
    }
    n = r->nr;
    int slot = 0;
    for (int i = 0; r->args[i]; i++)
        a[i] = arg(r->args[i], &slot);
    switch (n) {
    case 2: case 257: { /* open, openat: the flags that do something, mostly */
        u64 *f = n == 2 ? &a[1] : &a[2];
        *f = PICK(0, 0x42, 0x241, 0x10000, 0xc2, 0x401, 0x20000 | 0x42, 0x800, *f);
        break;
    }
    case 41: /* socket */
        a[0] = PICK(2, 2, 1, 10, next());
        a[1] = one_in(8) ? next() : PICK(1, 2, 3, 0) | (one_in(2) ? 04000 : 0);
        a[2] = PICK(0, 6, 17, 1, 255);
        break;
    case 9: { /* mmap: MAP_FIXED only over what is its own */
        a[0] = PICK(0, 0, (u64)scratch + 2 * PAGE, bad_ptr(), next());
        a[1] = one_in(6) ? next() : PAGE * (1 + below(8));
        a[2] = below(8);
        a[3] = one_in(4) ? next() : PICK(0x22, 0x22, 0x01, 0x02, 0x21);
        if (a[0] != (u64)scratch + 2 * PAGE)
            a[3] &= ~(u64)(0x10 | 0x100000); /* MAP_FIXED, MAP_FIXED_NOREPLACE */
        else
            a[1] = PAGE; /* over the hole, and only the hole */
        a[4] = one_in(3) ? fd() : (u64)-1;
        a[5] = PICK(0, PAGE, 1, 1ULL << 40);
        if (nmaps == 8) {
            raw6(11, maps[0].at, maps[0].len, 0, 0, 0, 0);
            maps[0] = maps[--nmaps];
        }
        break;
    }
    case 10: case 11: case 26: case 28: {
        u64 l;
        a[0] = own_map(&l);
        a[1] = l;
        a[2] = n == 10 ? below(8) : n == 28 ? PICK(0, 1, 2, 3, 4, 8, 9, 100, next()) : PICK(1, 4, 5, 2, next());
        if (n == 11)
            for (int i = 0; i < nmaps; i++)
                if (maps[i].at == a[0]) {
                    maps[i] = maps[--nmaps];
                    break;
                }
        break;
    }
    case 13: /* rt_sigaction: never SIGUSR2's handler */
        a[0] = sig();
        a[1] = one_in(4) ? 0 : words(3136, 4);
        if (a[1] && a[1] == (u64)(input + 3136) && !one_in(3)) {
            u64 *sa = (u64 *)a[1];
            sa[0] = PICK(0, 1, (u64)fuzz_signal, (u64)fuzz_signal);
            sa[1] |= 0x04000000; /* SA_RESTORER, with musl's restorer missing: bad */
            sa[3] &= ~(1ULL << (SIGUSR2_ - 1));
        }
        if (a[0] == SIGUSR2_)
            a[1] = 0;
        a[2] = one_in(2) ? 0 : out();
        a[3] = PICK(8, 8, 0, 16);
        break;
    case 14: /* rt_sigprocmask */
        a[0] = PICK(0, 1, 2, 3, ~0ULL);
        break;
    case 15: /* rt_sigreturn with whatever is on the stack: ends it, mostly */
        if (!one_in(4))
            return;
        break;
    case 60: case 231: /* exit, exit_group */
        if (depth == 0 && !one_in(8))
            return;
        a[0] = below(256);
        break;
    case 57: /* fork: the child fuzzes on */
        if (depth >= 2 || nkids >= 8 || budget < 20)
            return;
        {
            long c = raw6(57, 0, 0, 0, 0, 0, 0);
            if (c == 0) {
                me = (int)raw6(39, 0, 0, 0, 0, 0, 0);
                rng_state ^= (u64)me * 0x9e3779b97f4a7c15ULL;
                depth++;
                nkids = 0;
                creds = 1;
                if (budget > 100)
                    budget = 100;
            } else if (c > 0) {
                kids[nkids++] = (int)c;
            }
        }
        return;
    case 56: case 58: { /* clone, vfork: the child ends at once */
        if (nkids >= 8)
            return;
        u64 flags = next() & 0x7fffff00;
        /* Its exit signal only ever SIGCHLD or none: with CLONE_PARENT it goes to
         * the fuzzer's parent. */
        flags |= PICK(17, 17, 0);
        u64 stack = PICK(0, (u64)scratch + 2 * PAGE - 64, bad_ptr());
        long c = raw_clone_exit(n, n == 56 ? flags : 0, stack, out(), out(), next());
        if (c > 0 && !(flags & 0x8000)) /* not CLONE_PARENT: our child */
            kids[nkids++] = (int)c;
        return;
    }
    case 62: /* kill: ending itself or its group is rare */
    case 200: case 234: {
        u64 *s = n == 234 ? &a[2] : &a[1];
        u64 target = n == 234 ? a[1] : a[0];
        if ((target == 0 || target == (u64)me || (long)target < 0) && (*s == 9 || *s == 19) && !one_in(4))
            *s = 0;
        if (n == 234)
            a[0] = PICK((u64)me, NO_SUCH_PID);
        break;
    }
    case 105: case 106: case 113: case 114: case 116: case 117: case 119:
        if (!creds)
            return;
        break;
    case 109: /* setpgid: never into a group outside the family */
        a[0] = PICK(0, (u64)me, nkids ? (u64)kids[0] : 0);
        a[1] = PICK(0, (u64)getpgid(0), NO_SUCH_PID + 7, 0xffffffff, 1ULL << 32);
        break;
    case 158: /* arch_prctl: reading, or setting FS/GS to anything (hurts itself only) */
        a[0] = PICK(0x1003, 0x1004, 0x1001, 0x1002, next() & 0xffff);
        if ((a[0] == 0x1002 || a[0] == 0x1001) && !one_in(8))
            a[0] = 0x1003; /* ARCH_GET_FS */
        a[1] = one_in(2) ? out() : bad_ptr();
        break;
    case 160: case 302: { /* new limits only for itself, never CORE or CPU */
        int i = n == 302 ? 1 : 0;
        if (n == 302)
            a[0] = PICK(0, (u64)me, NO_SUCH_PID);
        a[i] = one_in(8) ? next() : below(16);
        a[i + 1] = one_in(2) ? bad_ptr() : words(3264, 2);
        if ((a[i] == 0 || a[i] == 4) && a[i + 1] == (u64)(input + 3264))
            a[i + 1] = 0;
        a[i + 2] = out();
        break;
    }
    case 202: /* futex on a scratch word */
        a[0] = PICK((u64)scratch, (u64)scratch + 4, (u64)scratch + 1, bad_ptr());
        a[1] = PICK(0, 1, 128, 129, 9, 10, next() & 0xff);
        a[2] = PICK(0, 1, 0xffffffff);
        a[3] = one_in(4) ? 0 : timespec(3200);
        a[4] = out();
        a[5] = PICK(0, 1, 0xffffffff);
        break;
    case 61: case 247:
        if (n == 61)
            a[2] = one_in(4) ? a[2] : 1; /* WNOHANG mostly */
        else
            a[3] = one_in(4) ? a[3] : 1 | 4;
        break;
    case 35: case 230: case 34: case 130:
        break; /* long waits end at the parent's SIGUSR2 */
    default:
        break;
    }
    long res = raw6(n, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (res < 0 && res > -4096)
        return;
    switch (n) {
    case 2: case 85: case 257: case 32: case 33: case 292: case 41: case 43: case 288:
        push_fd(res);
        break;
    case 3:
        for (int i = 0; i < nfds; i++)
            if (fds[i] == (int)a[0]) {
                fds[i] = fds[--nfds];
                break;
            }
        break;
    case 22: case 293:
        if (a[0] >= (u64)scratch && a[0] + 8 <= (u64)scratch + 2 * PAGE) {
            int p[2];
            memcpy(p, (void *)a[0], 8);
            push_fd(p[0]);
            push_fd(p[1]);
        }
        break;
    case 9:
        if (nmaps < 8) {
            maps[nmaps].at = (u64)res;
            maps[nmaps].len = (a[1] + PAGE - 1) & ~(PAGE - 1);
            nmaps++;
        }
        break;
    case 61:
        for (int i = 0; i < nkids; i++)
            if (kids[i] == (int)res) {
                kids[i] = kids[--nkids];
                break;
            }
        break;
    }
}

int main(int argc, char **argv)
{
    /* The parent's wake-up first: its default would end the worker. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fuzz_signal;
    sigaction(SIGUSR2, &sa, 0);
    if (argc < 3)
        return 2;
    rng_state = strtoull(argv[1], 0, 10);
    budget = strtoull(argv[2], 0, 10);
    creds = (rng_state & 0x100) != 0;
    me = getpid();
    for (int s = 1; s < 32; s++)
        if (s != SIGUSR2 && s != SIGKILL && s != SIGSTOP && !one_in(4))
            sigaction(s, &sa, 0);
    scratch = mmap(0, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (scratch == MAP_FAILED)
        return 3;
    munmap(scratch + 2 * PAGE, PAGE);
    munmap(scratch + 4 * PAGE, PAGE);
    while (budget > 0) {
        budget--;
        step();
    }
    for (int i = 0; i < nkids; i++) {
        raw6(62, (u64)kids[i], 9, 0, 0, 0, 0);
        raw6(61, (u64)kids[i], 0, 0, 0, 0, 0);
    }
    raw6(231, 0, 0, 0, 0, 0, 0);
    return 0;
}
