"""The "Batch inference output" section: the same metrics over a .out file, streamed line by line."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

import scoring.aws
from components import errors, health_results
from components.health_inputs import SourceData
from components.sidebar import Selection
from scoring import batch_files

_LAST = "_health_batch_result"


def _s3_client(selection: Selection) -> Any:
    c = selection.config
    return scoring.aws.live_client("s3", c.region or scoring.aws.default_region() or "us-east-1", c.profile)


def section(selection: Selection, data: SourceData, k: int) -> None:
    st.header("Batch inference output")
    st.caption("Upload a batch-inference job's output file (`<input>.out`, JSON lines) or give its s3:// URI: "
               "every line is read in turn and fed to the same metrics, so a file of any size needs only "
               "memory for per-item counts (and ~150 bytes per line for the identical-lists flag). Uploads "
               "are limited by Streamlit's upload size; use an s3:// URI for large files.")
    upload_col, uri_col = st.columns(2)
    upload = upload_col.file_uploader("Output file", type=["out", "json", "jsonl", "txt"], key="health_out_file")
    uri = uri_col.text_input("…or S3 URI", key="health_out_uri", placeholder="s3://bucket/path/users.json.out")
    if st.button("Read batch output", key="health_out_read"):
        source: Any = upload.getvalue() if upload is not None else (uri or "").strip()
        if not source:
            st.error("Upload an output file or enter an s3:// URI.", icon=":material/upload_file:")
            return
        try:
            with st.spinner("Reading the output file line by line…"):
                s3 = _s3_client(selection) if isinstance(source, str) else None
                st.session_state[_LAST] = batch_files.stream_output(source, data.catalogue, k, known=data.known,
                                                                    s3=s3)
        except Exception as exc:
            st.session_state.pop(_LAST, None)
            errors.show(exc)
            return
    result: batch_files.StreamResult | None = st.session_state.get(_LAST)
    if result is None:
        return
    st.success(f"{result.records:,} lists read from {result.lines:,} lines"
               + (f"; {result.error_count:,} bad line(s)" if result.error_count else "") + ".",
               icon=":material/check_circle:")
    reports = {"Batch output": result.report}
    health_results.metrics_table(reports, "health_out_metrics")
    health_results.flags_table(result.report, "health_out_flags", interactions=data.known is not None)
    if result.errors:
        with st.expander(f"{result.error_count:,} bad line(s)"):
            st.dataframe(pd.DataFrame([{"Line": e.line, "Problem": e.message} for e in result.errors]),
                         hide_index=True, key="health_out_errors")
    health_results.charts(reports, "Batch output", "health_out")
