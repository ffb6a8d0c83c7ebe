"""`python worker.py`: the worker exactly as `xueji worker` runs it (see xueji/worker.py)."""

from core.temporal import end_process
from xueji.worker import main

if __name__ == "__main__":
    main()
    end_process(0)
