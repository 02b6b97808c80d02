"""Local models: the dataset groups on this machine, a new one from your own Personalize CSV files,
trained with a progress bar, and deleting one. About local folders, whatever the sidebar's source.
"""

from __future__ import annotations

import streamlit as st

from components import local_models, read_only, sidebar

sidebar.current()  # opened by URL before app.py ever ran: rerun through it (sidebar, page config)

st.title("Local models")
st.caption("Bring your own Amazon Personalize dataset files (the CSV import format) and get a local "
           "campaign from them: the files are imported as leniently as Personalize's import (odd "
           "rows are kept, fixed or skipped, each listed with its line), typed by an Avro schema "
           "you give or one inferred from the data; a sequence-aware softmax model is trained and "
           "evaluated with Personalize's protocol, and the new dataset group appears in the "
           "sidebar's campaign picker.")

groups = local_models.groups_panel()

st.subheader("New dataset group from your files")
if read_only.active():
    # Uploads would be written to the data folder and trained there; folders are the server's.
    read_only.note("Creating a dataset group (from uploads or a folder on the server)")
    read_only.note("Deleting a dataset group")
    st.stop()
request = local_models.request_form()
if request is not None:
    local_models.create(request)
local_models.report_panel()
local_models.created_panel()

local_models.delete_panel(groups)
