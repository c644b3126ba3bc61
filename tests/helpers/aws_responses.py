"""Realistic AWS AI-service responses, shaped as the services return them (PascalCase, every
member in botocore's service model): Textract forms with PAGE/LINE/WORD/KEY_VALUE_SET blocks and
their relationships, Rekognition moderation labels with parents and taxonomy levels."""

from __future__ import annotations

import itertools
import json
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
FLOW_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:flow-definition/forms-review"
CREDS = {"region_name": REGION, "aws_access_key_id": "testing",
         "aws_secret_access_key": "testing"}

_ids = itertools.count(1)


def _id(prefix: str) -> str:
    n = next(_ids)
    return f"{prefix}{n:04d}-7c1e-4a5b-9d3f-{n:012d}"


def _geometry(left: float, top: float, width: float, height: float = 0.02) -> dict[str, Any]:
    return {
        "BoundingBox": {"Width": width, "Height": height, "Left": left, "Top": top},
        "Polygon": [{"X": left, "Y": top}, {"X": left + width, "Y": top},
                    {"X": left + width, "Y": top + height}, {"X": left, "Y": top + height}],
    }


def textract_form(
    pairs: list[tuple[str, str, float, float]], *, title: str = "Patient intake form",
    human_loop: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An AnalyzeDocument (FORMS) response for ``(key, value, key_conf, word_conf)`` pairs."""
    blocks: list[dict[str, Any]] = []
    page: dict[str, Any] = {"BlockType": "PAGE", "Geometry": _geometry(0, 0, 1, 1), "Id": _id("p"),
            "Relationships": [{"Type": "CHILD", "Ids": []}], "Page": 1}
    blocks.append(page)
    top = 0.05

    def words(text: str, left: float, conf: float) -> list[dict[str, Any]]:
        out = []
        for w in text.split():
            out.append({"BlockType": "WORD", "Confidence": conf, "Text": w, "TextType": "PRINTED",
                        "Geometry": _geometry(left, top, 0.01 * len(w)), "Id": _id("w"),
                        "Page": 1})
            left += 0.01 * len(w) + 0.005
        return out

    title_words = words(title, 0.3, 99.6)
    title_line = {"BlockType": "LINE", "Confidence": 99.6, "Text": title,
                  "Geometry": _geometry(0.3, top, 0.4), "Id": _id("l"),
                  "Relationships": [{"Type": "CHILD", "Ids": [w["Id"] for w in title_words]}],
                  "Page": 1}
    blocks += [title_line, *title_words]
    page["Relationships"][0]["Ids"].append(title_line["Id"])
    for key, value, key_conf, word_conf in pairs:
        top += 0.05
        kw = words(key, 0.1, word_conf)
        vw = words(value, 0.4, word_conf)
        line = {"BlockType": "LINE", "Confidence": word_conf, "Text": f"{key} {value}".strip(),
                "Geometry": _geometry(0.1, top, 0.6), "Id": _id("l"),
                "Relationships": [{"Type": "CHILD", "Ids": [w["Id"] for w in kw + vw]}],
                "Page": 1}
        value_block = {"BlockType": "KEY_VALUE_SET", "Confidence": key_conf,
                       "Geometry": _geometry(0.4, top, 0.3), "Id": _id("v"),
                       "EntityTypes": ["VALUE"], "Page": 1}
        if vw:
            value_block["Relationships"] = [{"Type": "CHILD", "Ids": [w["Id"] for w in vw]}]
        key_block = {"BlockType": "KEY_VALUE_SET", "Confidence": key_conf,
                     "Geometry": _geometry(0.1, top, 0.25), "Id": _id("k"),
                     "Relationships": [{"Type": "VALUE", "Ids": [value_block["Id"]]},
                                       {"Type": "CHILD", "Ids": [w["Id"] for w in kw]}],
                     "EntityTypes": ["KEY"], "Page": 1}
        page["Relationships"][0]["Ids"].append(line["Id"])
        blocks += [line, *kw, *vw, key_block, value_block]
    response: dict[str, Any] = {"DocumentMetadata": {"Pages": 1}, "Blocks": blocks,
                                "AnalyzeDocumentModelVersion": "1.0"}
    if human_loop is not None:
        response["HumanLoopActivationOutput"] = human_loop
    return response


INTAKE = [
    ("Full Name:", "Jane Doe", 96.5, 99.2),
    ("Date of birth:", "09/26/1980", 58.0, 81.0),
    ("Phone Number:", "555-0100", 93.0, 97.5),
]


def textract_lines_only() -> dict[str, Any]:
    """A response with text but no KEY_VALUE_SET blocks (a letter, not a form)."""
    response = textract_form([])
    response["Blocks"] = [b for b in response["Blocks"] if b["BlockType"] != "KEY_VALUE_SET"]
    return response


def moderation(labels: list[tuple[str, str, float, int]],
               human_loop: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "ModerationLabels": [{"Confidence": c, "Name": n, "ParentName": p, "TaxonomyLevel": lvl}
                             for n, p, c, lvl in labels],
        "ModerationModelVersion": "7.0",
        "ContentTypes": [{"Confidence": 99.1, "Name": "Illustrated"}],
    }
    if human_loop is not None:
        response["HumanLoopActivationOutput"] = human_loop
    return response


SWIMWEAR = [
    ("Swimwear or Underwear", "", 71.3, 1),
    ("Female Swimwear or Underwear", "Swimwear or Underwear", 71.3, 2),
    ("Suggestive", "", 55.2, 1),
]

TEXTRACT_CONDITIONS = {"Conditions": [
    {"ConditionType": "ImportantFormKeyConfidenceCheck",
     "ConditionParameters": {"ImportantFormKey": "Date of birth",
                             "ImportantFormKeyAliases": ["DOB", "Birth date"],
                             "KeyValueBlockConfidenceLessThan": 90,
                             "WordBlockConfidenceLessThan": 90}},
    {"ConditionType": "MissingImportantFormKey",
     "ConditionParameters": {"ImportantFormKey": "Mailing Address",
                             "ImportantFormKeyAliases": ["Address"]}},
]}

REKOGNITION_CONDITIONS = {"Conditions": [
    {"ConditionType": "ModerationLabelConfidenceCheck",
     "ConditionParameters": {"ModerationLabelName": "*",
                             "ConfidenceLessThan": 80, "ConfidenceGreaterThan": 50}},
]}


def aws_loop_output(name: str, results: dict[str, Any]) -> dict[str, Any]:
    return {"HumanLoopArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:human-loop/{name}",
            "HumanLoopActivationReasons": ["ConditionsEvaluation"],
            "HumanLoopActivationConditionsEvaluationResults": json.dumps(results)}
