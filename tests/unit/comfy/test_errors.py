"""The sentence a user reads when ComfyUI rejects a prompt (bodies from captures 05/05b)."""

from __future__ import annotations

import msgspec

from server.comfy.errors import ComfyRejected
from server.comfy.messages import PromptAccepted, PromptRejected
from tests.unit.comfy.captures import events

EXPECTED_05 = {
    "unknown class_type": [
        "Cannot execute because node NoSuchNode does not exist. (Node ID '#1')"
    ],
    "missing required input": ["Node 1 (EmptyImage) input 'width': required input is missing"],
    "value below min": ["Node 1 (EmptyImage) input 'width': value -5 smaller than min of 1"],
    "value above max": ["Node 1 (EmptyImage) input 'width': value 99999 bigger than max of 16384"],
    "wrong type": [
        "Node 1 (EmptyImage) input 'width': value 'wide' is not a valid INT "
        "(invalid literal for int() with base 10: 'wide')"
    ],
    "LoadImage of non-existent file": [
        "Node 1 (LoadImage) input 'image': invalid image file: definitely_missing.png"
    ],
    "link to non-existent node id": ["Node 2 (SaveImage): validation raised KeyError: '9'"],
    "link type mismatch": [
        "Node 2 (SaveImage) input 'images': linked to output 0 of node 3, which gives INT "
        "but IMAGE is expected"
    ],
    "combo value not in list": [
        "Node 1 (ImageScale) input 'upscale_method': value 'bogus' not in list "
        "['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos']"
    ],
    "no output node": ["Prompt has no outputs"],
    "node missing class_type": [
        "Cannot execute because a node is missing the class_type property. (Node ID '#1')"
    ],
    "body without 'prompt' key": ["No prompt provided"],
    "prompt is empty object": ["Prompt has no outputs"],
}


def rejection(capture: str, label: str) -> ComfyRejected:
    for e in events(capture, "http"):
        if label in e["label"] and e["response"]["status"] == 400:
            return ComfyRejected.from_body(msgspec.convert(e["response"]["json"], PromptRejected))
    raise KeyError(label)


def test_sentences_for_every_400_of_capture_05() -> None:
    for label, sentences in EXPECTED_05.items():
        rejected = rejection("05", label)
        assert rejected.sentences == sentences, label
        assert str(rejected) == "; ".join(sentences)


def test_missing_model_names_node_class_input_and_value_05b() -> None:
    rejected = rejection("05b", "no checkpoints")
    assert str(rejected) == (
        "Node 4 (CheckpointLoaderSimple) input 'ckpt_name': "
        "value 'v1-5-pruned-emaonly.safetensors' not in list []"
    )
    assert rejected.error_type == "prompt_outputs_failed_validation"
    assert rejected.node_errors["4"].errors[0].type == "value_not_in_list"


def test_several_node_errors_05b() -> None:
    assert rejection("05b", "loader removed").sentences == [
        "Node 6 (CLIPTextEncode) input 'clip': required input is missing",
        "Node 7 (CLIPTextEncode) input 'clip': required input is missing",
        "Node 3 (KSampler) input 'model': required input is missing",
        "Node 8 (VAEDecode) input 'vae': required input is missing",
    ]


def test_partial_acceptance_sentence_05() -> None:
    body = next(
        e["response"]["json"] for e in events("05", "http") if "partial accept" in e["label"]
    )
    accepted = msgspec.convert(body, PromptAccepted)
    rejected = ComfyRejected("x", "y", accepted.node_errors, prompt_id=accepted.prompt_id)
    assert rejected.sentences == ["Node 3 (EmptyImage) input 'width': value -5 smaller than min of 1"]


def test_long_option_lists_are_shortened() -> None:
    body = {
        "error": {"type": "prompt_outputs_failed_validation", "message": "m"},
        "node_errors": {
            "4": {
                "class_type": "CheckpointLoaderSimple",
                "errors": [
                    {
                        "type": "value_not_in_list",
                        "message": "Value not in list",
                        "extra_info": {
                            "input_name": "ckpt_name",
                            "input_config": [[f"m{i}.safetensors" for i in range(40)], {}],
                            "received_value": "x.safetensors",
                        },
                    }
                ],
            }
        },
    }
    sentence = str(ComfyRejected.from_body(msgspec.convert(body, PromptRejected)))
    assert sentence.endswith("'m11.safetensors', ... 28 more]")
