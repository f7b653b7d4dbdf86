"""The what-if page of `planner serve`: a local web app for planners who do not write Python.

A FastAPI app with Jinja2 templates and htmx (vendored: the page works offline) over the
notebooks' own `api.Session`: the rules with their clause and bounds per group, editable;
"求解" re-solves in place and shows the headline, who entered and left, binding changes and the
audit's warnings; every what-if is kept in a list, any two compared, each downloadable. One
workspace per browser tab (`workspaces`), a lock around each session, solves in worker threads.

Imports FastAPI: only `planner serve` (and tests) import this part.
"""
from planner.web.app import LOCAL_HOSTS, create_app
from planner.web.edits import BoundEdit, apply_edits, read_form
from planner.web.workspaces import Busy, Failure, Trial, Workspace, Workspaces

__all__ = ["LOCAL_HOSTS", "create_app", "BoundEdit", "apply_edits", "read_form", "Busy", "Failure", "Trial",
           "Workspace", "Workspaces"]
