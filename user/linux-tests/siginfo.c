/* SA_SIGINFO handlers as Linux calls them: the siginfo_t (si_signo, si_code,
 * si_pid, si_uid, si_addr for faults) and the ucontext_t (mcontext gregs, the mask
 * to come back to), and rt_sigreturn restoring what the handler changed in it.
 * Run on the host and on dinos; the two outputs must be the same (docs/linux.md). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

static void on_usr1(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("handler: sig %d si_signo %d si_code %d si_pid_is_me %d si_uid_is_mine %d\n",
	       sig, si->si_signo, si->si_code, si->si_pid == getpid(), si->si_uid == getuid());
	printf("handler: uc_sigmask USR2 %d USR1 %d; now blocked USR1 %d\n",
	       sigismember(&uc->uc_sigmask, SIGUSR2), sigismember(&uc->uc_sigmask, SIGUSR1),
	       sigismember(&now, SIGUSR1));
	printf("handler: saved rax %lld\n", (long long)uc->uc_mcontext.gregs[REG_RAX]);
	/* What the program resumes with: kill() returns 42, SIGUSR2 is unblocked. */
	uc->uc_mcontext.gregs[REG_RAX] = 42;
	sigdelset(&uc->uc_sigmask, SIGUSR2);
}

static void say(const char *s)
{
	write(1, s, strlen(s));
}

static void recover(void)
{
	say("recovered at the address the handler put in REG_RIP\n");
	_exit(7);
}

static void *volatile fault_at;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	printf("segv: sig %d si_signo %d si_code %d si_addr_is_it %d\n", sig, si->si_signo,
	       si->si_code, si->si_addr == fault_at);
	printf("segv: trapno %lld write %d cr2_is_it %d\n",
	       (long long)uc->uc_mcontext.gregs[REG_TRAPNO],
	       (int)!!(uc->uc_mcontext.gregs[REG_ERR] & 2),
	       uc->uc_mcontext.gregs[REG_CR2] == (long long)fault_at);
	fflush(stdout);
	uc->uc_mcontext.gregs[REG_RIP] = (long long)recover;
}

static void fault(const char *what, volatile int *p)
{
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
		sigaction(SIGSEGV, &sa, NULL);
		fault_at = (void *)p;
		*p = 1;
		say("not reached\n");
		_exit(1);
	}
	int st;
	waitpid(c, &st, 0);
	printf("%s: child exit %d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}

static void on_usr2_bad(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	(void)sig;
	(void)si;
	uc->uc_mcontext.fpregs = (void *)8; /* rt_sigreturn cannot restore from this */
}

static void bad_frame(void)
{
	pid_t c = fork();
	if (c == 0) {
		struct sigaction sa = { .sa_sigaction = on_usr2_bad, .sa_flags = SA_SIGINFO };
		sigaction(SIGUSR2, &sa, NULL);
		kill(getpid(), SIGUSR2);
		say("not reached\n");
		_exit(1);
	}
	int st;
	waitpid(c, &st, 0);
	printf("bad frame: child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, NULL);
	int r = kill(getpid(), SIGUSR1);
	printf("kill returned %d\n", r);
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("after: USR2 blocked %d\n", sigismember(&now, SIGUSR2));
	/* raise() is tkill: si_code SI_TKILL. */
	r = raise(SIGUSR1);
	printf("raise returned %d\n", r);

	fault("null pointer", (volatile int *)0);
	volatile int *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fault("read-only page", ro);
	bad_frame();
	return 0;
}
