"""Independent word counts for the tutorial's inputs, to check task outputs.

The rules (stated in examples/tutorial/word_count.h) are re-implemented here
with regular expressions rather than by importing the task programs, so a bug
in them cannot hide itself.
"""
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DATA_DIR = os.path.join(REPO, "examples", "tutorial", "data")
INPUTS = ["taskdata1.txt", "taskdata2.txt", "taskdata3.txt"]
PUNCT = re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def expected_top_words(text, n):
    counts = {}
    for token in re.findall(r"\S+", text):
        word = re.sub(rf"^[{PUNCT}]+|[{PUNCT}]+$", "", token).lower()
        if word:
            counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [f"{w}: {c}" for w, c in ranked[:n]]


def check_outputs(download_dir, job_id, pool_id, numwords=3):
    """Asserts each <name>_OUTPUT.txt holds the ids and the top words, line for line."""
    for index, name in enumerate(INPUTS):
        path = os.path.join(download_dir, name.replace(".txt", "_OUTPUT.txt"))
        assert os.path.exists(path), f"missing output {path}; dir has {os.listdir(download_dir)}"
        lines = open(path, encoding="utf-8").read().splitlines()
        with open(os.path.join(DATA_DIR, name), encoding="utf-8") as f:
            top = expected_top_words(f.read(), numwords)
        assert lines[0] == "-" * 30
        assert re.fullmatch(r"Node: \S+", lines[1]), lines[1]
        assert lines[2] == f"Task: Task{index}"
        assert lines[3] == f"Job:  {job_id}"
        assert lines[4] == f"Pool: {pool_id}"
        assert lines[5] == "-" * 30
        assert lines[6:] == top, f"{name}: got {lines[6:]}, expected {top}"
