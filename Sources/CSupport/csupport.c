#define _GNU_SOURCE
#include <sys/ioctl.h>
#include "csupport.h"
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

int sweep_terminate_with_parent(void) {
#ifdef __linux__
    return prctl(PR_SET_PDEATHSIG, SIGTERM);
#else
    return -1;
#endif
}

void sweep_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}

#include <errno.h>
#include <sched.h>

int sweep_flush_stdout(void) {
    errno = 0;
    if (fflush(stdout) != 0) return errno ? errno : EIO;
    return ferror(stdout) ? -1 : 0;
}

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pthread.h>

#include <sys/syscall.h>

/// Marks every descriptor from `from` on close-on-exec: one close_range call where the
/// kernel has it (5.11+), else a loop.
static void cloexec_from(int from) {
#if defined(__linux__) && defined(SYS_close_range)
    if (syscall(SYS_close_range, (unsigned)from, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) == 0) return;
#endif
    for (int fd = from; fd < 4096; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

/// The child's side of sweep_spawn, between vfork and exec: it shares the parent's memory
/// (the parent is suspended), so only system calls, no allocation, no return.
static void sweep_child(char *const argv[], char *const envp[], const char *cwd, const int fds[], int nfds, pid_t parent, int report) {
    int err;
    setpgid(0, 0);
    report = fcntl(report, F_DUPFD_CLOEXEC, 64);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127); // the parent died before prctl took effect
#endif
    // Move the sources out of the way first, so that dup2 into 0..nfds-1 cannot clobber one.
    int moved[16];
    if (nfds > 16) nfds = 16;
    for (int i = 0; i < nfds; i++) {
        int src = fds[i] >= 0 ? fds[i] : open("/dev/null", O_RDWR);
        moved[i] = fcntl(src, F_DUPFD_CLOEXEC, 64);
        if (moved[i] < 0) goto fail;
    }
    for (int i = 0; i < nfds; i++) {
        if (dup2(moved[i], i) < 0) goto fail;
    }
    // Everything else goes at exec: the worker's sockets and pipes are none of the program's business.
    cloexec_from(nfds);
    if (cwd && chdir(cwd) < 0) goto fail;
    // Default dispositions first (the parent blocked every signal around vfork, so no
    // handler of the worker can run here), then the mask.
    for (int s = 1; s < 65; s++) {
        if (s != SIGKILL && s != SIGSTOP) {
            struct sigaction dfl;
            memset(&dfl, 0, sizeof dfl);
            dfl.sa_handler = SIG_DFL;
            sigaction(s, &dfl, NULL);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvpe(argv[0], argv, envp);
fail:
    err = errno;
    (void)!write(report, &err, sizeof err);
    _exit(127);
}

pid_t sweep_spawn(char *const argv[], char *const envp[], const char *cwd, const int fds[], int nfds, int *error) {
    int status[2];
    if (pipe2(status, O_CLOEXEC) < 0) { *error = errno; return -1; }
    pid_t parent = getpid();
    // vfork, not fork: no copy of the worker's page tables (a large process forks slowly);
    // signals stay blocked until the child has reset its dispositions.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = vfork();
    if (pid == 0) sweep_child(argv, envp, cwd, fds, nfds, parent, status[1]);
    int forkError = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        *error = forkError;
        close(status[0]);
        close(status[1]);
        return -1;
    }
    close(status[1]);
    // The status pipe closes on a successful exec (CLOEXEC), or carries the errno.
    int err = 0;
    ssize_t n;
    do { n = read(status[0], &err, sizeof err); } while (n < 0 && errno == EINTR);
    close(status[0]);
    if (n == sizeof err) {
        waitpid(pid, NULL, 0);
        *error = err;
        return -1;
    }
    // Also set here, so the group exists before the parent signals it.
    setpgid(pid, pid);
    return pid;
}

int sweep_exit_descriptor(pid_t pid) {
#if defined(__linux__) && defined(SYS_pidfd_open)
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
#else
    (void)pid;
    return -1;
#endif
}

int sweep_reap(pid_t pid, int *code, int *signal) {
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == 0) return 0;
    if (r < 0) return -1;
    *code = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
    *signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    return 1;
}

int sweep_terminal_size(int fd, int *columns, int *rows) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return -1;
    *columns = ws.ws_col;
    *rows = ws.ws_row;
    return 0;
}

/* Swift's runtime prints a backtrace on SIGSEGV/SIGBUS/SIGILL/SIGFPE and returns: a real
   fault then faults again and the process dies, but the same signal sent with kill(2) is
   not repeated, so the process went on running (a `kill -SEGV` worker kept its trial). A
   sent one ends the process as the signal's default action does; a fault is handed to the
   handler that was there before (the runtime's backtrace). */
static struct sigaction previous_fault_actions[32];

static void sweep_fault_signal(int signal, siginfo_t *info, void *context) {
    if (info != NULL && info->si_code <= 0) { /* SI_USER, SI_QUEUE, SI_TKILL: sent, not a fault */
        struct sigaction fallback;
        memset(&fallback, 0, sizeof fallback);
        fallback.sa_handler = SIG_DFL;
        sigaction(signal, &fallback, NULL);
        raise(signal);
        return;
    }
    struct sigaction *previous = &previous_fault_actions[signal];
    if (previous->sa_flags & SA_SIGINFO) {
        previous->sa_sigaction(signal, info, context);
    } else if (previous->sa_handler != SIG_IGN && previous->sa_handler != SIG_DFL) {
        previous->sa_handler(signal);
    } else {
        sigaction(signal, previous, NULL); /* default: returning repeats the fault, which then kills */
    }
}

void sweep_die_on_sent_fault_signals(void) {
    const int signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        if (sigaction(signals[i], NULL, &previous_fault_actions[signals[i]]) != 0) continue;
        action.sa_sigaction = sweep_fault_signal;
        action.sa_flags = SA_SIGINFO | SA_ONSTACK | (previous_fault_actions[signals[i]].sa_flags & SA_NODEFER);
        /* The runtime's mask (all but the fatal signals): Ctrl-C must not cut its backtrace short. */
        action.sa_mask = previous_fault_actions[signals[i]].sa_mask;
        sigaction(signals[i], &action, NULL);
    }
}

int sweep_open_unnamed(const char *dir) {
#if defined(__linux__) && defined(O_TMPFILE)
    return open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
#else
    errno = EOPNOTSUPP;
    return -1;
#endif
}

int sweep_name_unnamed(int fd, const char *path) {
#ifdef __linux__
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, link, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
#else
    errno = EOPNOTSUPP;
    return -1;
#endif
}

#if defined(__GLIBC__)
#include <malloc.h>
void sweep_trim_heap(void) { malloc_trim(0); }
#else
void sweep_trim_heap(void) {}
#endif

int sweep_affinity_cores(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_COUNT(&set);
}
