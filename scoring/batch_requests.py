"""The checks Amazon Personalize makes on a CreateBatchInferenceJob request, before it is sent.

One list of problems, each naming the member and what to do, used twice: the console checks a
live request with it before calling AWS (a refused job costs a round trip and, for a typo in a
path, a failed job an hour later), and the local control client refuses with it exactly as the
service does (`InvalidInputException`). Patterns are the service model's (PERSONALIZE.md,
"Batch inference jobs"); the "output differs from input" rule is the guide's.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from scoring import arns

JOB_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*")
MAX_JOB_NAME = 63
ROLE_ARN = re.compile(r"arn:([a-z\d-]+):iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
S3_PATH = re.compile(r"(s3|http|https)://.+")
MAX_PATH = 256
MODES = ("BATCH_INFERENCE", "THEME_GENERATION")
DEFAULT_RESULTS = 25


def split_s3(path: str) -> tuple[str, str]:
    """(bucket, key) of an s3:// path; the key may be empty (the bucket's root) or end with '/'."""
    if not path.startswith("s3://"):
        raise ValueError(f"{path[:120]!r} is not an s3:// path: write s3://bucket/folder/file.json.")
    bucket, _, key = path[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError(f"{path[:120]!r} has no bucket: write s3://bucket/folder/file.json.")
    return bucket, key


def output_key(input_key: str, output_path: str) -> str:
    """Where Personalize writes the output of one input file: `<output folder>/<input file name>.out`."""
    _, folder = split_s3(output_path)
    folder = folder if not folder or folder.endswith("/") else folder + "/"
    return f"{folder}{posixpath.basename(input_key)}.out"


def output_key_uri(input_path: str, output_path: str) -> str:
    """The s3:// URI of the output of an input file (of each file, `<file>.out`, for an input folder)."""
    try:
        bucket, _ = split_s3(output_path)
        _, key = split_s3(input_path)
    except ValueError:
        return output_path
    name = key if key and not key.endswith("/") else "<each input file>"
    return f"s3://{bucket}/{output_key(name, output_path)}"


def _folder(path: str) -> str:
    """The folder an s3:// path names (a file's folder, or the path itself when it ends with /)."""
    return path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"


def _path_problems(value: Any, where: str) -> list[str]:
    if not isinstance(value, str) or not value:
        return [f"{where} is required: an s3:// path."]
    if len(value) > MAX_PATH:
        return [f"{where} is {len(value)} characters long; the limit is {MAX_PATH}."]
    if not S3_PATH.fullmatch(value):
        return [f"{where} {value[:120]!r} must be an s3:// path (pattern (s3|http|https)://.+)."]
    if not value.startswith("s3://"):
        return [f"{where} {value[:120]!r}: batch inference reads and writes Amazon S3: use s3://bucket/path."]
    try:
        split_s3(value)
    except ValueError as exc:
        return [f"{where}: {exc}"]
    return []


def problems(params: Mapping[str, Any]) -> list[str]:
    """Everything the service would refuse in this request, in plain words (empty: it may be sent)."""
    out: list[str] = []
    name = params.get("jobName")
    if not isinstance(name, str) or not name:
        out.append("jobName is required.")
    elif len(name) > MAX_JOB_NAME:
        out.append(f"jobName is {len(name)} characters long; the limit is {MAX_JOB_NAME}.")
    elif not JOB_NAME.fullmatch(name):
        out.append(f"jobName {name[:80]!r} may hold only letters, digits, '-' and '_', starting with a letter "
                   "or digit.")
    for key in ("solutionVersionArn", "filterArn"):
        value = params.get(key)
        if key == "solutionVersionArn" and not value:
            out.append("solutionVersionArn is required: the solution version the job runs on.")
        elif value and (not isinstance(value, str) or not arns.is_valid(value)):
            out.append(f"{key} {str(value)[:80]!r} is not a Personalize ARN (arn:aws:personalize:...).")
    role = params.get("roleArn")
    if not role:
        out.append("roleArn is required: an IAM role Personalize can assume to read the input and write "
                   "the output (see README, 'Batch inference jobs').")
    elif not isinstance(role, str) or len(role) > MAX_PATH or not ROLE_ARN.fullmatch(role):
        out.append(f"roleArn {str(role)[:80]!r} is not an IAM role ARN (arn:aws:iam::<12-digit account>:"
                   "role/<name>).")
    source = ((params.get("jobInput") or {}).get("s3DataSource") or {}).get("path")
    target = ((params.get("jobOutput") or {}).get("s3DataDestination") or {}).get("path")
    input_problems = _path_problems(source, "The input path (jobInput.s3DataSource.path)")
    output_problems = _path_problems(target, "The output path (jobOutput.s3DataDestination.path)")
    out += input_problems + output_problems
    if not input_problems and not output_problems and _folder(source).rstrip("/") == target.rstrip("/"):
        out.append("The output path must differ from the input location: choose another folder for the output.")
    num = params.get("numResults")
    if num is not None and (isinstance(num, bool) or not isinstance(num, int) or num < 1):
        out.append(f"numResults {num!r} must be a whole number of at least 1.")
    mode = params.get("batchInferenceJobMode")
    if mode is not None and mode not in MODES:
        out.append(f"batchInferenceJobMode {str(mode)[:40]!r} must be one of {', '.join(MODES)}.")
    return out


def request(*, job_name: str, solution_version_arn: str, input_path: str, output_path: str, role_arn: str,
            num_results: int | None = None, filter_arn: str | None = None) -> dict[str, Any]:
    """CreateBatchInferenceJob's keyword arguments for the console's form (absent members left out)."""
    params: dict[str, Any] = {
        "jobName": job_name, "solutionVersionArn": solution_version_arn,
        "jobInput": {"s3DataSource": {"path": input_path}},
        "jobOutput": {"s3DataDestination": {"path": output_path}}, "roleArn": role_arn,
    }
    if num_results is not None:
        params["numResults"] = int(num_results)
    if filter_arn:
        params["filterArn"] = filter_arn
    return params
