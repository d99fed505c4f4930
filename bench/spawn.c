/*
 * spawn RESULT_FILE PROGRAM [ARG...]
 *
 * Starts PROGRAM with this process's environment and standard streams, waits for it, and writes
 * one line to RESULT_FILE:
 *
 *   spawn_ns exit_ns exit_code user_us sys_us maxrss_kib
 *
 * spawn_ns and exit_ns are CLOCK_MONOTONIC (the clock of Python's time.monotonic_ns(), used by
 * the fake server to stamp requests), taken just before vfork() and just after wait4().
 *
 * Why a helper instead of Python's subprocess: a child's ru_maxrss is the high-water mark of
 * every address space it had, including the one it was forked from before exec (Linux records
 * the old mm's hiwater in exec). A child of the Python driver would report at least the
 * driver's ~25 MB. This helper is built static and small, so the floor it adds is its own few
 * hundred KiB (bench/run reports it: the figure for /bin/true). It also spawns faster than
 * subprocess.Popen, so less fixed cost sits inside the start-up figures.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: spawn RESULT_FILE PROGRAM [ARG...]\n");
        return 2;
    }
    long long spawn_ns = now_ns();
    pid_t pid = vfork();
    if (pid < 0) {
        perror("vfork");
        return 2;
    }
    if (pid == 0) {
        execve(argv[2], &argv[2], environ);
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) {
        perror("wait4");
        return 2;
    }
    long long exit_ns = now_ns();
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 2;
    }
    fprintf(out, "%lld %lld %d %lld %lld %ld\n", spawn_ns, exit_ns, code,
            (long long)usage.ru_utime.tv_sec * 1000000LL + usage.ru_utime.tv_usec,
            (long long)usage.ru_stime.tv_sec * 1000000LL + usage.ru_stime.tv_usec,
            usage.ru_maxrss);
    fclose(out);
    return 0;
}
