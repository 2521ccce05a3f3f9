"""Imported by every Celery worker (`-I pipelines.celery_worker`, see pipelines.celery.celery_command).

A worker lives for weeks and takes steps of every province: each step opens its province's warehouse,
and an engine kept per warehouse would hold a pool of connections to each of 34 databases per worker
(2 workers × 34 provinces exhausted PostgreSQL's 100 connections in the national bench). So every
engine is closed when a step's task ends; the next step opens what it needs.
"""

from __future__ import annotations

from celery.signals import task_postrun

from dti.warehouse.db import dispose_all


@task_postrun.connect
def close_warehouses(**_kwargs) -> None:
    dispose_all()
