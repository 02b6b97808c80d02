"""MovieLens 100K as Personalize CSV files, for bench/training.py's real-data figures.

    python bench/movielens.py DIR

The ratings come from a package on PyPI that ships them (RecBole's example dataset), fetched
with `pip download` into DIR/.download (no install, no other dependency), then converted:
interactions.csv (USER_ID, ITEM_ID, TIMESTAMP, EVENT_TYPE "rating", EVENT_VALUE the stars),
items.csv (ITEM_ID, TITLE, YEAR, GENRES "A|B") and users.csv (USER_ID, AGE, GENDER, OCCUPATION).
MovieLens is GroupLens's data (F. Maxwell Harper and Joseph A. Konstan, 2015), for research use.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

WHEEL = "recbole==1.2.1"
MEMBER = "recbole/dataset_example/ml-100k/ml-100k."


def fetch(cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("recbole-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "--quiet",
                        "--dest", str(cache)], check=True)
        wheels = sorted(cache.glob("recbole-*.whl"))
    return wheels[-1]


def convert(wheel: Path, out: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        def table(kind: str) -> pd.DataFrame:
            with archive.open(MEMBER + kind) as handle:
                return pd.read_csv(handle, sep="\t", dtype=str, keep_default_na=False)

        ratings, movies, people = table("inter"), table("item"), table("user")
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"USER_ID": ratings.iloc[:, 0], "ITEM_ID": ratings.iloc[:, 1],
                  "TIMESTAMP": ratings.iloc[:, 3].astype(float).astype("int64"), "EVENT_TYPE": "rating",
                  "EVENT_VALUE": ratings.iloc[:, 2]}).to_csv(out / "interactions.csv", index=False)
    pd.DataFrame({"ITEM_ID": movies.iloc[:, 0], "TITLE": movies.iloc[:, 1], "YEAR": movies.iloc[:, 2],
                  "GENRES": movies.iloc[:, 3].str.replace(" ", "|")}).to_csv(out / "items.csv", index=False)
    pd.DataFrame({"USER_ID": people.iloc[:, 0], "AGE": people.iloc[:, 1], "GENDER": people.iloc[:, 2],
                  "OCCUPATION": people.iloc[:, 3]}).to_csv(out / "users.csv", index=False)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    out = Path(sys.argv[1])
    convert(fetch(out / ".download"), out)
    print(f"MovieLens 100K written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
