# Package used to check `python -m pkgdemo` identity.
