#define _GNU_SOURCE
#include "csupport.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

// The guardian runs in a child forked from a multi-threaded process: only system calls and
// pure functions from here on (no malloc, no stdio, no locks).

/// Environment of process `pid` contains `needle` (e.g. "\0SWEEP_GUARD=token\0").
enum { environ_buffer_size = 1 << 18, entries_buffer_size = 1 << 15 };

static int environ_contains(const char *pid, const char *needle, size_t needleLength, char *buffer) {
    char path[64];
    size_t n = strlen(pid);
    if (n > 20) return 0;
    memcpy(path, "/proc/", 6);
    memcpy(path + 6, pid, n);
    memcpy(path + 6 + n, "/environ", 9);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    // A leading NUL lets the needle match the first variable too.
    size_t length = 1;
    buffer[0] = 0;
    ssize_t r;
    while (length < environ_buffer_size - 1 && (r = read(fd, buffer + length, environ_buffer_size - 1 - length)) > 0) length += (size_t)r;
    close(fd);
    buffer[length++] = 0;
    return memmem(buffer, length, needle, needleLength) != NULL;
}

/// Pids already killed (to count each once), at most `capacity`.
struct killed_set { pid_t *pids; int count, capacity; };

/// SIGKILLs every process (but this one, and those of process group `skip_group` if > 0)
/// whose environment carries the marker; returns how many it found. Each pid not yet in
/// `killed` (if given) is added to it. `entries` and `environment` are buffers of
/// entries_buffer_size and environ_buffer_size bytes.
static int kill_marked(const char *needle, size_t needleLength, char *entries, char *environment, pid_t skip_group, struct killed_set *killed) {
    int count = 0;
    int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return 0;
    pid_t self = getpid();
    long n;
    while ((n = syscall(SYS_getdents64, dir, entries, entries_buffer_size)) > 0) {
        for (long offset = 0; offset < n;) {
            struct dirent64 *e = (struct dirent64 *)(entries + offset);
            offset += e->d_reclen;
            const char *name = e->d_name;
            if (name[0] < '1' || name[0] > '9') continue;
            pid_t pid = 0;
            for (const char *c = name; *c; c++) pid = pid * 10 + (*c - '0');
            if (pid == self || (skip_group > 0 && getpgid(pid) == skip_group)) continue;
            if (environ_contains(name, needle, needleLength, environment) && kill(pid, SIGKILL) == 0) {
                count++;
                if (killed) {
                    int known = 0;
                    for (int i = 0; i < killed->count; i++) known |= killed->pids[i] == pid;
                    if (!known && killed->count < killed->capacity) killed->pids[killed->count++] = pid;
                }
            }
        }
    }
    close(dir);
    return count;
}

/// The marker as it appears in an environment block, "\0SWEEP_GUARD=token\0", written into
/// `needle` (256 bytes); returns its length.
static size_t make_needle(const char *marker, char *needle) {
    size_t m = strlen(marker);
    if (m > 256 - 3) m = 256 - 3;
    needle[0] = 0;
    memcpy(needle + 1, marker, m);
    needle[m + 1] = 0;
    return m + 2;
}

static void guardian_main(int input, const char *marker) {
    // Its own process group: a Ctrl-C meant for the worker must not take the guardian first.
    setpgid(0, 0);
#ifdef __linux__
    prctl(PR_SET_NAME, "sweep-guardian"); // as `ps -o comm` shows it
#endif
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    int ignored[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2};
    for (unsigned i = 0; i < sizeof ignored / sizeof ignored[0]; i++) sigaction(ignored[i], &ignore, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int fd = 0; fd < 4096; fd++) {
        if (fd != input) close(fd);
    }
    static char needle[256];
    size_t needleLength = make_needle(marker, needle);
    // Static: no malloc in a child forked from a multi-threaded process.
    static char entries[entries_buffer_size];
    static char environment[environ_buffer_size];

    // The running trial's process group, as the worker last said (0: none).
    int32_t group = 0;
    for (;;) {
        int32_t g;
        ssize_t r = read(input, &g, sizeof g);
        if (r == sizeof g) { group = g; continue; }
        if (r < 0 && errno == EINTR) continue;
        break; // end of file: the worker is gone (exited, or killed)
    }
    if (group > 0) kill(-group, SIGKILL);
    // Killing a process can reveal children it was about to start: sweep until none is left.
    for (int round = 0; round < 100; round++) {
        if (kill_marked(needle, needleLength, entries, environment, 0, NULL) == 0) break;
        usleep(20000);
    }
    _exit(0);
}

pid_t sweep_guardian_start(const char *marker, int *output) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        guardian_main(fds[0], marker);
        _exit(0);
    }
    close(fds[0]);
    *output = fds[1];
    return pid;
}

void sweep_guardian_record(int output, int32_t group) {
    ssize_t r;
    do { r = write(output, &group, sizeof group); } while (r < 0 && errno == EINTR);
}

int sweep_kill_marked(const char *marker, pid_t skip_group) {
    char needle[256];
    size_t needleLength = make_needle(marker, needle);
    char *entries = malloc(entries_buffer_size);
    char *environment = malloc(environ_buffer_size);
    pid_t pids[256];
    struct killed_set killed = { pids, 0, 256 };
    if (entries && environment) {
        // Killing a process can reveal children it was about to start: sweep again, a few
        // times at most (a process stuck in the kernel must not hold the trial's result).
        for (int round = 0; round < 10; round++) {
            if (kill_marked(needle, needleLength, entries, environment, skip_group, &killed) == 0) break;
            usleep(20000);
        }
    }
    free(entries);
    free(environment);
    return killed.count;
}
