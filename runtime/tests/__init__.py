# Loopscope runtime test suite (unittest; real interpreters, real programs, real sockets).
