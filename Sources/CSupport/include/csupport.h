#ifndef SWEEP_CSUPPORT_H
#define SWEEP_CSUPPORT_H

/// Asks the kernel to send SIGTERM to this process when its parent dies (Linux only;
/// returns -1 elsewhere). Used by local workers of `sweep run`.
int sweep_terminate_with_parent(void);

/// Makes standard output line-buffered (so prints and direct writes keep their order).
void sweep_line_buffer_stdout(void);

/// Flushes standard output: 0, or the errno of a failed write (-1 when stdio only knows
/// that an earlier one failed: its error flag).
int sweep_flush_stdout(void);

/// As process 1 of a pid namespace: forwards signals to a child that runs the command,
/// reaps orphans, and exits with the child's status (returns only in the child).
void sweep_run_as_init_if_pid_one(void);

/// The cores of this process's CPU affinity (taskset, a cpuset); 0 when unknown.
int sweep_affinity_cores(void);

/// Makes SIGSEGV, SIGBUS, SIGILL and SIGFPE sent by another process (kill(2)) end this one,
/// as their default action does; real faults still reach the Swift runtime's backtrace,
/// which otherwise lets a sent signal return and the process run on.
void sweep_die_on_sent_fault_signals(void);

#include <sys/types.h>

/// Starts a child process for a command trial: `argv[0]` searched in PATH (of `envp`),
/// in its own process group, killed (SIGKILL) by the kernel when the calling thread's
/// process dies (Linux), with signal dispositions and mask reset, in directory `cwd`
/// (NULL: unchanged). `fds[i]` becomes descriptor i of the child (-1: /dev/null); every
/// other descriptor is closed. Returns the child's pid, or -1 with `*error` set to the
/// errno of the failing step (e.g. ENOENT when the program does not exist).
pid_t sweep_spawn(char *const argv[], char *const envp[], const char *cwd, const int fds[], int nfds, int *error);

/// A descriptor that becomes readable when child `pid` ends (a pidfd, Linux 5.3+), so a
/// poll loop wakes at its exit; -1 where there is none.
int sweep_exit_descriptor(pid_t pid);

/// Reaps `pid` without blocking. Returns 0 while it runs, 1 when it ended (then
/// `*signal` is the killing signal, or 0 with `*code` the exit status), -1 on error.
int sweep_reap(pid_t pid, int *code, int *signal);

/// The size of the terminal on `fd` in columns and rows; returns -1 when `fd` is not a
/// terminal (ioctl is variadic, which Swift cannot call).
int sweep_terminal_size(int fd, int *columns, int *rows);

#include <stdint.h>

/// Starts a command-trial worker's guardian: a small child process that, once the worker
/// is gone (its end of a pipe closes: exit or kill -9), SIGKILLs the last recorded process
/// group and every process whose environment carries `marker` ("SWEEP_GUARD=token", set
/// for each program the worker starts and inherited by whatever those start, double-forked
/// or setsid ones included). Returns its pid (-1 on failure) and in `*output` the worker's
/// end of the pipe (close-on-exec).
pid_t sweep_guardian_start(const char *marker, int *output);

/// Tells the guardian the running trial's process group (0: none runs).
void sweep_guardian_record(int output, int32_t group);

/// SIGKILLs every process but the caller, and but those of process group `skip_group` (if
/// > 0: killed by the group already), whose environment carries `marker`
/// ("SWEEP_GUARD=token"), again until none is left (at most 10 rounds, 20 ms apart);
/// returns how many distinct processes it killed. A worker calls it when a trial ends, for
/// what the trial started outside its process group.
int sweep_kill_marked(const char *marker, pid_t skip_group);

/// Opens a file without a name in directory `dir` for writing (Linux's O_TMPFILE, mode
/// 0666 less the umask): a process killed while writing it leaves nothing behind. Returns
/// -1 with errno set where the kernel or the file system has no such files.
int sweep_open_unnamed(const char *dir);

/// Gives the unnamed file `fd` the name `path`, which must not exist (linkat through
/// /proc/self/fd). Returns 0, or -1 with errno set.
int sweep_name_unnamed(int fd, const char *path);

/// Returns the heap memory free()d by every thread to the system (glibc's malloc_trim);
/// a no-op elsewhere.
void sweep_trim_heap(void);

#endif
