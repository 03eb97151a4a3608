# Corpus: blocking calls inside async def (rule blocking-call-in-async).
import os
import subprocess
import time
import urllib.request
from time import sleep

import requests


async def shapes() -> None:
    # shape: time.sleep
    time.sleep(1)  # expect: blocking-call-in-async "time.sleep(1)"
    # shape: requests.get
    r = requests.get("https://example.org")  # expect: blocking-call-in-async "requests.get(\"https://example.org\")"
    # shape: urllib.request.urlopen
    urllib.request.urlopen("https://example.org")  # expect: blocking-call-in-async "urllib.request.urlopen(\"https://example.org\")"
    # shape: subprocess.run
    subprocess.run(["ls"])  # expect: blocking-call-in-async "subprocess.run([\"ls\"])"
    # shape: subprocess.check_output
    out = subprocess.check_output(["ls"])  # expect: blocking-call-in-async "subprocess.check_output([\"ls\"])"
    # shape: input()
    name = input("name? ")  # expect: blocking-call-in-async "input(\"name? \")"
    # shape: sleep imported from time
    sleep(0.5)  # expect: blocking-call-in-async "sleep(0.5)"
    # shape: os.system
    os.system("true")  # expect: blocking-call-in-async "os.system(\"true\")"
    print(r, out, name)
