"""Batch-inference files: input written and read back, outputs streamed (file, bytes, moto S3), exports."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from scoring import batch_files as bf
from scoring import health_metrics as hm

CATALOGUE = hm.Catalogue([f"i{j}" for j in range(6)], None, None)


def sample_lists() -> hm.RecLists:
    lists = hm.RecLists()
    lists.append("u1", ["i0", "i1", "i2"], [0.5, 0.3, 0.2])
    lists.append("u2", ["i3", "i1", "i0"], [0.4, 0.4, 0.2])
    lists.append("u3", ["i0", "i1", "i2"], [0.6, 0.3, 0.1])
    lists.append("u4", ["i5", "x9"], [None, None])
    return lists


def assert_same_report(a: hm.HealthReport, b: hm.HealthReport) -> None:
    for key in hm.METRIC_INFO:
        x, y = a.metrics[key], b.metrics[key]
        assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, abs=1e-12), key
    assert {k: (f.users, f.slots) for k, f in a.flags.items()} == {k: (f.users, f.slots) for k, f in b.flags.items()}


def test_input_file_is_one_json_object_per_line_and_reads_back() -> None:
    data = bf.input_lines(["7", "42", "7b"], filter_values={"GENRES": '"Action"'})
    lines = data.decode().splitlines()
    assert json.loads(lines[0]) == {"userId": "7", "filterValues": {"GENRES": '"Action"'}}
    ids, bad = bf.read_input_ids(io.BytesIO(data))
    assert ids == ["7", "42", "7b"] and bad == []
    related = bf.input_lines(["105"], key="itemId")
    assert json.loads(related) == {"itemId": "105"}


def test_input_reader_reports_bad_lines_with_their_numbers() -> None:
    data = b'{"userId": "1"}\nnot json\n\n{"itemList": ["a"]}\n{"userId": "1"}\n{"itemId": "5"}\n'
    ids, bad = bf.read_input_ids(data)
    assert ids == ["1", "5"]
    assert [(e.line, e.message.split(" ")[0]) for e in bad] == [(2, "not"), (4, "no")]


def test_output_export_round_trips_and_streams_to_the_same_metrics(tmp_path: Path) -> None:
    lists = sample_lists()
    data = bf.output_lines(lists)
    first = json.loads(data.splitlines()[0])
    assert first == {"input": {"userId": "u1"}, "output": {"recommendedItems": ["i0", "i1", "i2"],
                                                           "scores": [0.5, 0.3, 0.2]}, "error": None}
    assert "scores" not in json.loads(data.splitlines()[3])["output"]
    path = tmp_path / "users.json.out"
    path.write_bytes(data)
    direct = hm.compute(lists, CATALOGUE, 3)
    for source in (data, io.BytesIO(data), str(path), path):
        streamed = bf.stream_output(source, CATALOGUE, 3)
        assert streamed.records == 4 and streamed.errors == []
        assert_same_report(streamed.report, direct)
    assert direct.flags["identical"].users == 2  # u1 and u3
    assert direct.flags["outside"].slots == 1


def test_csv_export_round_trips() -> None:
    lists = sample_lists()
    data = bf.lists_csv(lists)
    assert data.decode().splitlines()[:2] == ["userId,rank,itemId,score", "u1,1,i0,0.5"]
    back = bf.read_lists_csv(data)
    assert back.user_ids == lists.user_ids and back.items == lists.items and back.scores == lists.scores


def test_bad_output_lines_are_collected_with_line_numbers() -> None:
    good = bf.output_lines(sample_lists()).decode().splitlines()
    data = "\n".join([good[0], "{oops", json.dumps({"input": {"userId": "u9"}, "output": None,
                                                    "error": "User not found"}),
                      "", json.dumps({"input": {"userId": "u8"}, "output": {"recommendedItems": ["i1"],
                                                                           "scores": [1, 2]}}),
                      "[1, 2]", good[1]]).encode()
    result = bf.stream_output(data, CATALOGUE, 3)
    assert result.records == 2 and result.error_count == 4 and result.lines == 7
    assert [e.line for e in result.errors] == [2, 3, 5, 6]
    assert "not JSON" in result.errors[0].message and "User not found" in result.errors[1].message
    assert "does not match" in result.errors[2].message


@mock_aws
def test_output_streams_from_s3_line_by_line() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="batch")
    lists = hm.RecLists()
    for u in range(3000):  # several StreamingBody chunks
        lists.append(f"user-{u}", [f"i{(u + j) % 6}" for j in range(3)], [0.5, 0.3, 0.2])
    s3.put_object(Bucket="batch", Key="out/users.json.out", Body=bf.output_lines(lists) + b"not json\n")
    result = bf.stream_output("s3://batch/out/users.json.out", CATALOGUE, 3, s3=s3)
    assert result.records == 3000 and [e.line for e in result.errors] == [3001]
    assert_same_report(result.report, hm.compute(lists, CATALOGUE, 3))
    assert result.report.metrics["coverage"] == 1.0

    s3.put_object(Bucket="batch", Key="in/users.json", Body=bf.input_lines(["1", "2"]))
    assert bf.read_input_ids("s3://batch/in/users.json", s3=s3)[0] == ["1", "2"]


def test_s3_uri_must_name_bucket_and_key() -> None:
    assert bf.parse_s3_uri("s3://b/k/x.out") == ("b", "k/x.out")
    for bad in ("b/k", "s3://bucket", "s3:///key"):
        with pytest.raises(ValueError):
            bf.parse_s3_uri(bad)


def test_pasted_ids_accept_commas_lines_and_a_header() -> None:
    assert bf.parse_id_list('USER_ID\n1, 2\n"3" 2\n\n') == ["1", "2", "3"]
