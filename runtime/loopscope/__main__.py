# Entry point of `python -m loopscope`; all the work is in _launcher (kept separate so this
# module's frames and globals never mix with the target program's __main__).
from loopscope._launcher import main

main()
