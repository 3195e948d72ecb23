/* A static musl program's first steps on a Linux kernel: the initial stack (argc,
 * argv, envp, auxv), thread-local storage through %fs (arch_prctl), stdio, errno.
 * Its output is compared with the same binary run on the host's Linux. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static __thread int tls_counter = 41;

int main(int argc, char **argv, char **envp)
{
    printf("hello from a static musl program\n");
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    int envs = 0;
    for (char **e = envp; *e; e++)
        if (strncmp(*e, "LT_", 3) == 0) {
            printf("env %s\n", *e);
            envs++;
        }
    printf("LT_ variables: %d\n", envs);
    tls_counter++;
    printf("tls=%d\n", tls_counter);
    printf("pagesz=%lu\n", getauxval(AT_PAGESZ));
    const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
    int nonzero = 0;
    for (int i = 0; r && i < 16; i++)
        nonzero |= r[i];
    printf("at_random %s\n", r && nonzero ? "present" : "missing");
    const char *fn = (const char *)getauxval(AT_EXECFN);
    printf("execfn ends with hello: %s\n",
           fn && strlen(fn) >= 5 && strcmp(fn + strlen(fn) - 5, "hello") == 0 ? "yes" : "no");
    printf("clktck=%lu secure=%lu\n", getauxval(AT_CLKTCK), getauxval(AT_SECURE));
    errno = 0;
    if (access("/no/such/file", F_OK) < 0)
        printf("access: %s\n", strerror(errno));
    return 3;
}
