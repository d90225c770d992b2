#!/usr/bin/env python3
"""Best wall and best CPU time of RUNS runs of one or more commands, run alternately so that each
sees the same load. Prints one line "WALL CPU" (seconds) per command, in the order given.
  best_time.py RUNS STDERR_FILE CMD [ARGS...] [--- CMD [ARGS...]]...
Wall is the nanosecond clock around spawn and reap; CPU is user + system of that one child, from
wait4's rusage (microsecond fields, summed from the scheduler's runtime), not /usr/bin/time's 10 ms
ticks, which were as coarse as the gaps these benches look for. A command's stdout goes to
/dev/null, its stderr to STDERR_FILE; a failing command stops the bench with its stderr shown."""
import os
import sys
import time

runs, err_path, rest = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
commands = [[]]
for a in rest:
    if a == '---':
        commands.append([])
    else:
        commands[-1].append(a)
if not all(commands):
    sys.exit('best_time.py: empty command')

best = [[float('inf'), float('inf')] for _ in commands]
for _ in range(runs):
    for i, cmd in enumerate(commands):
        actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 2, err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
        start = time.perf_counter_ns()
        pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        wall = (time.perf_counter_ns() - start) / 1e9
        if os.waitstatus_to_exitcode(status) != 0:
            sys.stderr.write(open(err_path, errors='replace').read())
            sys.exit(f'best_time.py: {" ".join(cmd)} failed ({os.waitstatus_to_exitcode(status)})')
        best[i][0] = min(best[i][0], wall)
        best[i][1] = min(best[i][1], usage.ru_utime + usage.ru_stime)
for wall, cpu in best:
    print(f'{wall:.4f} {cpu:.4f}')
