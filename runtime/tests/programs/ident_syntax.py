# Identity probe: a syntax error in the script itself.
print("never printed"
x = = 1
