"""SageMaker Ground Truth augmented manifest lines (classification).

Rules (https://docs.aws.amazon.com/sagemaker/latest/dg/sms-data-output.html):
- the data object is ``source`` (inline text) or ``source-ref`` (an S3 URI), never both;
- the label attribute holds the class index, a number ("the value of the label is the index of
  the class in the classification list"; SageMaker's built-in algorithms read it as one), and
  ``<attribute>-metadata`` holds ``class-name``, ``confidence`` (in [0, 1]; "If a single worker
  annotates a task ... the confidence score is set to 0.00", so one reviewer gives 0.0 and
  several their agreement), ``type`` (``groundtruth/text-classification``, or
  ``groundtruth/image-classification`` for an image ``source-ref``), ``job-name``,
  ``human-annotated`` (yes | no), ``creation-date`` (ISO 8601 without a time zone) and here
  ``class-map`` (index → class, as AWS writes it for multi-label and box jobs) so each line
  says what its number means;
- the attribute name must not contain ``-metadata`` and, for classification, must not end in
  ``-ref``; other keys of the line pass through (here ``correction-id``).
Classification only: free text, objects and tool calls are refused (counted in the manifest).
A class's index is its position among the labels the model was offered when the ledger recorded
them (digit "3" is 3), else its order of first appearance; the whole map is in the manifest
(``class_map``) and ``--since`` carries it on, so indexes stay stable across exports.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hitl_agent.export.formats.base import ExportFormat, Row, check_keys, check_text, invalid
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import ExportRecord, render_text
from hitl_agent.s3_uri import parse_s3_url

MAX_CLASSES = 10_000
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff")
_JOB = re.compile(r"[^a-zA-Z0-9-]+")


class GroundTruthManifest(ExportFormat):
    name = "ground-truth-manifest"
    doc_url = "https://docs.aws.amazon.com/sagemaker/latest/dg/sms-data-output.html"
    extension = "manifest"
    needs_completion = True
    task_types = frozenset({"classification"})

    def __init__(self, class_map: dict[str, int] | None = None) -> None:
        self.class_map: dict[str, int] = dict(class_map or {})

    def _index(self, label: str, offered: list[str] | None) -> int:
        if label in self.class_map:
            return self.class_map[label]
        taken = set(self.class_map.values())
        if offered and label in offered and offered.index(label) not in taken:
            index = offered.index(label)
        else:
            index = max(taken, default=-1) + 1
        if len(self.class_map) >= MAX_CLASSES:
            raise invalid("ground-truth-manifest.too_many_classes", "final_output",
                          f"more than {MAX_CLASSES} distinct labels")
        self.class_map[label] = index
        return index

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        c = record.correction
        attr = options.label_attribute
        label = record.label
        if label is None:
            raise invalid("ground-truth-manifest.label", "final_output",
                          "must be a class label (a short one-line string, int or bool)")
        index = self._index(label, record.labels)
        raw = c.input
        source: Row = (
            {"source-ref": raw}
            if isinstance(raw, str) and _s3_object(raw)
            else {"source": render_text(raw) or ""}
        )
        confidence = float(c.agreement) if c.agreement is not None and len(c.answers) > 1 else 0.0
        job = options.job_name or _JOB.sub("-", f"hitl-agent-{c.task}").strip("-")
        decided = c.decided_at.astimezone(UTC).replace(tzinfo=None)
        image = "source-ref" in source and raw.lower().endswith(IMAGE_SUFFIXES)
        return [{
            **source,
            attr: index,
            f"{attr}-metadata": {
                "class-name": label,
                "class-map": {str(index): label},
                "confidence": round(confidence, 4),
                "type": f"groundtruth/{'image' if image else 'text'}-classification",
                "job-name": job,
                "human-annotated": "yes",
                "creation-date": decided.isoformat(timespec="microseconds"),
            },
            "correction-id": c.id,
        }]

    def validate(self, row: Row) -> None:
        p = "ground-truth-manifest"
        sources = [k for k in ("source", "source-ref") if k in row]
        if len(sources) != 1:
            raise invalid(f"{p}.source", "row", "needs exactly one of 'source' or 'source-ref'")
        check_text(row[sources[0]], sources[0], f"{p}.source")
        if sources[0] == "source-ref" and not _s3_object(row["source-ref"]):
            raise invalid(f"{p}.source_ref", "source-ref", "must be an s3:// URI")
        metas = [k for k in row if k.endswith("-metadata")]
        if len(metas) != 1:
            raise invalid(f"{p}.metadata", "row", "needs exactly one '<attribute>-metadata' key")
        attr = metas[0][: -len("-metadata")]
        if not attr or "-metadata" in attr or attr.endswith("-ref") or attr not in row:
            raise invalid(f"{p}.attribute_name", metas[0],
                          "the label attribute must exist, not end in '-ref' or hold '-metadata'")
        meta = row[metas[0]]
        check_keys(meta, metas[0], f"{p}.metadata_keys",
                   required=("class-name", "confidence", "type", "job-name", "human-annotated",
                             "creation-date"),
                   allowed=("class-name", "class-map", "confidence", "type", "job-name",
                            "human-annotated", "creation-date", "worker-feedback"))
        index = row[attr]
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise invalid(f"{p}.class_index", attr, "must be the class index, a number >= 0")
        if "class-map" in meta and meta["class-map"].get(str(index)) != meta["class-name"]:
            raise invalid(f"{p}.class_map", f"{metas[0]}.class-map",
                          "must map the line's class index to its class-name")
        conf = meta["confidence"]
        if isinstance(conf, bool) or not isinstance(conf, int | float) or not 0 <= conf <= 1:
            raise invalid(f"{p}.confidence", f"{metas[0]}.confidence", "must be a number in [0, 1]")
        if not str(meta["type"]).startswith("groundtruth/"):
            raise invalid(f"{p}.type", f"{metas[0]}.type", "must start with 'groundtruth/'")
        if meta["human-annotated"] not in ("yes", "no"):
            raise invalid(f"{p}.human_annotated", f"{metas[0]}.human-annotated",
                          "must be 'yes' or 'no'")
        try:
            created = datetime.fromisoformat(meta["creation-date"])
        except (TypeError, ValueError):
            raise invalid(f"{p}.creation_date", f"{metas[0]}.creation-date",
                          "must be an ISO 8601 date-time") from None
        if created.tzinfo is not None:
            raise invalid(f"{p}.creation_date", f"{metas[0]}.creation-date",
                          "must not carry a time zone")


def _s3_object(value: str) -> bool:
    """``s3://bucket/key``: what Ground Truth reads a ``source-ref`` as."""
    return value.startswith("s3://") and parse_s3_url(value) is not None
