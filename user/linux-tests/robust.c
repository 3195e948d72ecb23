/* Robust mutexes and /proc/self/task, run on dinos and on the host Linux by
 * `cargo xtask test linux::robust` (xtask/src/linuxtest.rs), which compares what
 * they print.
 *
 * A robust mutex held by a thread or a process that ends without unlocking it
 * (no pthread_exit: the raw exit call, or _exit in a child) must be handed to the
 * next locker with EOWNERDEAD: that is the kernel's walk of the list the C library
 * registers with set_robust_list. /proc/self/task lists one directory per thread,
 * each with a stat whose first field is its tid. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t *m;
static int ready[2];

static void robust_init(pthread_mutex_t *mx, int shared) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (shared)
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(mx, &a);
}

static const char *name(int r) {
    return r == 0 ? "0" : r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r);
}

static void *die_holding(void *arg) {
    (void)arg;
    pthread_mutex_lock(m);
    char c = 1;
    if (write(ready[1], &c, 1) != 1)
        abort();
    syscall(SYS_exit, 0); /* the thread ends; musl's own list walk does not run */
    return 0;
}

static void *wait_forever(void *arg) {
    char c;
    return (void *)(long)read(*(int *)arg, &c, 1);
}

static int is_number(const char *s) {
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static void task_dir(void) {
    int block[2];
    if (pipe(block))
        abort();
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], 0, wait_forever, &block[0]);
    usleep(100000);
    DIR *d = opendir("/proc/self/task");
    if (!d) {
        printf("opendir /proc/self/task: %s\n", strerror(errno));
        return;
    }
    int n = 0, main_seen = 0, dirs = 0, stats = 0, bad = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (!is_number(e->d_name)) {
            bad++;
            continue;
        }
        n++;
        int tid = atoi(e->d_name);
        main_seen += tid == getpid();
        char path[64];
        struct stat sb;
        snprintf(path, sizeof path, "/proc/self/task/%d", tid);
        dirs += stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
        FILE *f = fopen(path, "r");
        int first = -1;
        char comm[64];
        if (f && fscanf(f, "%d %63s", &first, comm) == 2 && first == tid)
            stats++;
        if (f)
            fclose(f);
    }
    closedir(d);
    printf("task: %d threads, main %d, directories %d, stat with its tid %d, other names %d\n",
           n, main_seen, dirs, stats, bad);
    struct stat sb;
    printf("task/1000000 %s\n", stat("/proc/self/task/1000000", &sb) ? strerror(errno) : "exists");
    close(block[1]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], 0);
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    /* Linux takes only sizeof(struct robust_list_head). */
    long r = syscall(SYS_set_robust_list, 0, 1);
    printf("set_robust_list(len 1) = %ld %s\n", r, r ? strerror(errno) : "");
    /* musl asks this once to learn whether robust mutexes work. */
    void *head;
    size_t len = 0;
    r = syscall(SYS_get_robust_list, 0, &head, &len);
    printf("get_robust_list(0) = %ld, len %zu\n", r, len);
    r = syscall(SYS_get_robust_list, 999999, &head, &len);
    printf("get_robust_list(no such thread) = %ld %s\n", r, r ? strerror(errno) : "");

    /* A thread dies holding a robust mutex (process-shared: Linux wakes the next
     * waiter of a dead owner's lock with a shared futex wake, which a private wait,
     * musl's for a private mutex, would not hear). */
    static pthread_mutex_t thread_m;
    m = &thread_m;
    robust_init(m, 1);
    if (pipe(ready))
        abort();
    pthread_t t;
    pthread_create(&t, 0, die_holding, 0);
    char c;
    if (read(ready[0], &c, 1) != 1)
        abort();
    int got = pthread_mutex_lock(m);
    printf("thread died holding it: lock = %s\n", name(got));
    if (got == EOWNERDEAD) {
        printf("consistent = %s\n", name(pthread_mutex_consistent(m)));
        printf("unlock = %s\n", name(pthread_mutex_unlock(m)));
        printf("lock again = %s\n", name(pthread_mutex_lock(m)));
        pthread_mutex_unlock(m);
    }

    /* A child process dies holding a process-shared robust mutex. */
    /* In a shared mapping of a file (dinos has no shared anonymous memory). */
    char file[] = "/tmp/robust.XXXXXX";
    int fd = mkstemp(file);
    if (fd < 0 || ftruncate(fd, 4096))
        abort();
    unlink(file);
    pthread_mutex_t *shared = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (shared == MAP_FAILED)
        abort();
    close(fd);
    robust_init(shared, 1);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_lock(shared);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    got = pthread_mutex_lock(shared);
    printf("child died holding it: lock = %s\n", name(got));
    if (got == EOWNERDEAD)
        pthread_mutex_consistent(shared);
    pthread_mutex_unlock(shared);

    task_dir();
    return 0;
}
