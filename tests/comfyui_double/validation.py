"""POST /prompt graph validation: a port of ComfyUI 0.3.64's validate_prompt/validate_inputs.

Kept structurally close to the original so that error types, messages, `details`, `node_errors`
and `dependent_outputs` come out the same, Python exception texts included (e.g. KeyError "'9'").
Differences: ComfyUI iterates sets (outputs, input names); here the order is deterministic.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from .catalog import Catalog, combo_options
from .files import FileStore

# Nodes with a VALIDATE_INPUTS hook: these inputs skip the combo/min/max checks (which is why
# LoadImage accepts "subfolder/name.png") and are checked for file existence instead.
FILE_VALIDATED_INPUTS = {"LoadImage": "image", "LoadImageMask": "image", "LoadImageOutput": "image"}

# Traceback frames of the recording (capture 05), source lines already omitted there.
_VALIDATION_TRACEBACK = [
    '  File "/tmp/comfyui/execution.py", line 1010, in validate_prompt\n    <source line omitted>\n',
    '  File "/tmp/comfyui/execution.py", line 788, in validate_inputs\n    <source line omitted>\n',
]
_INNER_VALIDATION_TRACEBACK = [
    '  File "/tmp/comfyui/execution.py", line 826, in validate_inputs\n    <source line omitted>\n',
    '  File "/tmp/comfyui/execution.py", line 788, in validate_inputs\n    <source line omitted>\n',
]


class Validation(NamedTuple):
    ok: bool
    error: dict[str, Any] | None
    outputs: list[str]
    node_errors: dict[str, Any]


def _error(type_: str, message: str, details: str, extra_info: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": type_, "message": message, "details": details, "extra_info": extra_info or {}}


def exception_type_name(ex: BaseException) -> str:
    # ComfyUI's full_type_name: builtins unqualified, others "module.Name".
    cls = type(ex)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def input_info(spec: dict[str, Any], name: str) -> tuple[Any, str | None, dict[str, Any] | None]:
    for category in ("required", "optional", "hidden"):
        inputs = spec["input"].get(category, {})
        if name in inputs:
            info = inputs[name]
            return info[0], category, (info[1] if len(info) > 1 else {})
    return None, None, None


def node_input_names(spec: dict[str, Any]) -> list[str]:
    return [*spec["input"].get("required", {}), *spec["input"].get("optional", {})]


def types_compatible(received: Any, expected: Any) -> bool:
    # validate_node_input (non-strict): exact match, "*" wildcard, or comma-separated unions overlap.
    if not received != expected:
        return True
    if not isinstance(received, str) or not isinstance(expected, str):
        return False
    got = {t.strip() for t in received.split(",")}
    want = {t.strip() for t in expected.split(",")}
    return "*" in got or "*" in want or bool(got & want)


class Validator:
    def __init__(self, catalog: Catalog, files: FileStore) -> None:
        self._catalog = catalog
        self._files = files

    def validate_prompt(self, prompt: dict[str, Any], partial_targets: list[str] | None) -> Validation:
        outputs: list[str] = []
        for node_id in prompt:
            if "class_type" not in prompt[node_id]:
                err = _error(
                    "invalid_prompt",
                    "Cannot execute because a node is missing the class_type property.",
                    f"Node ID '#{node_id}'",
                )
                return Validation(False, err, [], {})
            class_type = prompt[node_id]["class_type"]
            spec = self._catalog.node(class_type)
            if spec is None:
                err = _error(
                    "invalid_prompt",
                    f"Cannot execute because node {class_type} does not exist.",
                    f"Node ID '#{node_id}'",
                )
                return Validation(False, err, [], {})
            if spec["output_node"] is True and (partial_targets is None or node_id in partial_targets):
                outputs.append(node_id)
        if not outputs:
            return Validation(False, _error("prompt_no_outputs", "Prompt has no outputs", ""), [], {})

        # ComfyUI iterates a set here. Reverse prompt order reproduces the run order of capture 02.
        outputs.reverse()
        good: list[str] = []
        failed: list[tuple[str, list[dict[str, Any]]]] = []
        node_errors: dict[str, Any] = {}
        validated: dict[str, tuple[bool, list[dict[str, Any]], str]] = {}
        for out in outputs:
            try:
                valid, reasons, _ = self._validate_inputs(prompt, out, validated)
            except Exception as ex:
                valid = False
                reasons = [
                    _error(
                        "exception_during_validation",
                        "Exception when validating node",
                        str(ex),
                        {"exception_type": exception_type_name(ex), "traceback": list(_VALIDATION_TRACEBACK)},
                    )
                ]
                validated[out] = (False, reasons, out)
            if valid is True:
                good.append(out)
                continue
            failed.append((out, reasons))
            # Quirk kept: every failed node validated so far gets this output in dependent_outputs.
            for node_id, (ok, node_reasons, _) in validated.items():
                if ok is not True and node_reasons:
                    if node_id not in node_errors:
                        node_errors[node_id] = {
                            "errors": node_reasons,
                            "dependent_outputs": [],
                            "class_type": prompt[node_id]["class_type"],
                        }
                    node_errors[node_id]["dependent_outputs"].append(out)

        if not good:
            details = "\n".join(f"{r['message']}: {r['details']}" for _, reasons in failed for r in reasons)
            err = _error("prompt_outputs_failed_validation", "Prompt outputs failed validation", details)
            return Validation(False, err, [], node_errors)
        return Validation(True, None, good, node_errors)

    def _validate_inputs(
        self, prompt: dict[str, Any], unique_id: str, validated: dict[str, tuple[bool, list[dict[str, Any]], str]]
    ) -> tuple[bool, list[dict[str, Any]], str]:
        if unique_id in validated:
            return validated[unique_id]
        inputs = prompt[unique_id]["inputs"]
        class_type = prompt[unique_id]["class_type"]
        spec = self._catalog.node(class_type)
        assert spec is not None  # validate_prompt checked every class_type
        file_input = FILE_VALIDATED_INPUTS.get(class_type)
        errors: list[dict[str, Any]] = []
        valid = True

        for name in node_input_names(spec):
            input_type, category, extra = input_info(spec, name)
            assert extra is not None
            if name not in inputs:
                if category == "required":
                    errors.append(
                        _error("required_input_missing", "Required input is missing", name, {"input_name": name})
                    )
                continue
            val = inputs[name]
            info = [input_type, extra]
            if isinstance(val, list):
                if len(val) != 2:
                    errors.append(
                        _error(
                            "bad_linked_input",
                            "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                            name,
                            {"input_name": name, "input_config": info, "received_value": val},
                        )
                    )
                    continue
                o_id = val[0]
                o_class_type = prompt[o_id]["class_type"]  # KeyError for a missing node, like ComfyUI
                # RETURN_TYPES is a tuple in ComfyUI: same IndexError/TypeError texts.
                received_type = tuple(self._catalog.node(o_class_type)["output"])[val[1]]  # type: ignore[index]
                if not types_compatible(received_type, input_type):
                    details = f"{name}, received_type({received_type}) mismatch input_type({input_type})"
                    errors.append(
                        _error(
                            "return_type_mismatch",
                            "Return type mismatch between linked nodes",
                            details,
                            {
                                "input_name": name,
                                "input_config": info,
                                "received_type": received_type,
                                "linked_node": val,
                            },
                        )
                    )
                    continue
                try:
                    if self._validate_inputs(prompt, o_id, validated)[0] is False:
                        valid = False
                except Exception as ex:
                    valid = False
                    validated[o_id] = (
                        False,
                        [
                            _error(
                                "exception_during_inner_validation",
                                "Exception when validating inner node",
                                str(ex),
                                {
                                    "input_name": name,
                                    "input_config": info,
                                    "exception_message": str(ex),
                                    "exception_type": exception_type_name(ex),
                                    "traceback": list(_INNER_VALIDATION_TRACEBACK),
                                    "linked_node": val,
                                },
                            )
                        ],
                        o_id,
                    )
                continue

            if isinstance(val, dict) and "__value__" in val:
                val = inputs[name] = val["__value__"]
            try:
                # Converted values are written back: queue and history show them converted.
                if input_type == "INT":
                    val = inputs[name] = int(val)
                elif input_type == "FLOAT":
                    val = inputs[name] = float(val)
                elif input_type == "STRING":
                    val = inputs[name] = str(val)
                elif input_type == "BOOLEAN":
                    val = inputs[name] = bool(val)
            except Exception as ex:
                errors.append(
                    _error(
                        "invalid_input_type",
                        f"Failed to convert an input value to a {input_type} value",
                        f"{name}, {val}, {ex}",
                        {"input_name": name, "input_config": info, "received_value": val, "exception_message": str(ex)},
                    )
                )
                continue

            if name == file_input:
                continue
            reason = self._check_value(name, val, input_type, extra, info)
            if reason is not None:
                errors.append(reason)

        if file_input is not None and isinstance(inputs.get(file_input), str):
            name = inputs[file_input]
            if not os.path.exists(self._files.annotated_path(name)):
                details = f"{file_input} - Invalid image file: {name}"
                errors.append(
                    _error(
                        "custom_validation_failed",
                        "Custom validation failed for node",
                        details,
                        {"input_name": file_input},
                    )
                )

        result = (False, errors, unique_id) if errors or valid is not True else (True, [], unique_id)
        validated[unique_id] = result
        return result

    def _check_value(
        self, name: str, val: Any, input_type: Any, extra: dict[str, Any], info: list[Any]
    ) -> dict[str, Any] | None:
        if "min" in extra and val < extra["min"]:
            return _error(
                "value_smaller_than_min",
                f"Value {val} smaller than min of {extra['min']}",
                name,
                {"input_name": name, "input_config": info, "received_value": val},
            )
        if "max" in extra and val > extra["max"]:
            return _error(
                "value_bigger_than_max",
                f"Value {val} bigger than max of {extra['max']}",
                name,
                {"input_name": name, "input_config": info, "received_value": val},
            )
        options = combo_options(info)
        if options is None:
            return None
        if extra.get("multiselect", False) and isinstance(val, list):
            invalid = [v for v in val if v not in options]
        else:
            invalid = [val] if val not in options else []
        if not invalid:
            return None
        # Like ComfyUI: long lists (scanned model paths) are summarised, config dropped.
        config: list[Any] | None = info
        listing = str(options)
        if len(options) > 20:
            listing, config = f"(list of length {len(options)})", None
        return _error(
            "value_not_in_list",
            "Value not in list",
            f"{name}: '{val}' not in {listing}",
            {"input_name": name, "input_config": config, "received_value": val},
        )
