#define _GNU_SOURCE
#include "csupport.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

// Run as process 1 of a pid namespace (a container's entry point, `unshare --pid --fork`),
// sweep does an init's two jobs, as tini (`docker run --init`) does, and the command runs in
// a child: the kernel delivers to process 1 only the signals it has handlers for, so a
// SIGTERM in sweep's first milliseconds (before its handlers) was lost; and orphans of trial
// programs, re-parented to process 1, were never reaped (hundreds of zombies in a
// long-lived worker container). This process forwards every signal to the child from a
// handler (OpenBLAS has started threads by now, and a signal may reach any of them: a
// handler runs wherever it lands, where sigwaitinfo in one thread missed those), and reaps
// every process that ends; it exits with the child's status.
// Runs as a constructor, before the Swift runtime and main (the earlier, the shorter the
// window in which a signal is lost: what arrives while the libraries load still is;
// `docker run --init` has none), and again from main (a no-op once done). Returns only in
// the child (or when not process 1, or when SWEEP_NO_INIT is set).

static volatile pid_t forward_to = 0;

static void forward_signal(int sig) {
    int saved = errno;
    if (forward_to > 0) kill(forward_to, sig);
    errno = saved;
}

void sweep_run_as_init_if_pid_one(void) {
    if (getpid() != 1) return;
    const char *off = getenv("SWEEP_NO_INIT");
    if (off != NULL && off[0] != '\0') return;
    sigset_t all, previous;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &previous);
    // An inherited SIGCHLD of SIG_IGN reaps children unasked: the child's status was lost.
    signal(SIGCHLD, SIG_DFL);
    // The terminal is the child's only when it is this process group's (not in `... &`).
    int foreground = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
    pid_t child = fork();
    if (child <= 0) {
        if (child == 0) {
            // The child leads its own process group and takes the terminal, if ours: a
            // Ctrl-C reaches it once (from the terminal), not again forwarded from here.
            // (SIGTTOU, which tcsetpgrp from a background group raises, is blocked here.)
            setpgid(0, 0);
            if (foreground) tcsetpgrp(STDIN_FILENO, getpgrp());
        }
        sigprocmask(SIG_SETMASK, &previous, NULL); // (no child: run as is)
        return;
    }
    forward_to = child;
    struct sigaction forward;
    memset(&forward, 0, sizeof(forward));
    forward.sa_handler = forward_signal;
    sigfillset(&forward.sa_mask);
    forward.sa_flags = SA_RESTART;
    for (int sig = 1; sig < NSIG; sig++) {
        // Job-control signals stay with the terminal's group (tini leaves them too):
        // forwarded, the child stopped while this process held the job.
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == SIGTTIN || sig == SIGTTOU || sig == SIGTSTP) continue;
        sigaction(sig, &forward, NULL); // (fails harmlessly for the real-time ones libc keeps)
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); // what came meanwhile is forwarded now
    for (;;) {
        int status;
        pid_t ended = waitpid(-1, &status, 0);
        if (ended == child) _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        if (ended < 0 && errno == ECHILD) _exit(1);
        // (An orphan reaped, or a signal forwarded: wait on.)
    }
}

__attribute__((constructor)) static void sweep_init_at_load(void) {
    sweep_run_as_init_if_pid_one();
}
