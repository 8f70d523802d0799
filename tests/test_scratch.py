"""Temporary folders and sockets: short enough for the forkserver, removed whatever happened."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from grader.scratch import SOCKET_PATH_MAX, ScratchRoot, fits_socket, reap_stale


def test_a_long_tmpdir_still_gives_the_forkserver_a_socket_path_that_fits(tmp_path):
    long = tmp_path / ("t" * 120)
    long.mkdir()
    code = ("from grader.scratch import use_short_socket_dir; from multiprocessing import forkserver; "
            "print(use_short_socket_dir()); forkserver.ensure_running()")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "TMPDIR": str(long)}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    path = done.stdout.strip()
    assert not path.startswith(str(long)) and fits_socket(os.path.dirname(path))
    assert len(os.path.join(path, "listener-xxxxxxxx")) <= SOCKET_PATH_MAX
    assert not os.path.exists(path)  # multiprocessing removed its own folder at exit
    assert sorted(long.iterdir()) == []


def test_the_root_of_a_killed_batch_is_reaped_and_a_living_one_is_not(tmp_path):
    code = ("import sys, time; from grader.scratch import ScratchRoot; root = ScratchRoot(sys.argv[1]).__enter__(); "
            "(root.folder('w0') / 'work').write_text('x'); print(root.path, flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    dead_root = proc.stdout.readline().strip()
    with ScratchRoot(tmp_path) as living:
        assert reap_stale(tmp_path) == []  # both are held: the other process is alive
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert os.path.isdir(dead_root)
        assert reap_stale(tmp_path) == [dead_root] and not os.path.exists(dead_root)
        assert living.path.is_dir() and oct(living.path.stat().st_mode & 0o777) == oct(0o711)
        kept = living.path
    assert not kept.exists() and sorted(tmp_path.iterdir()) == []
