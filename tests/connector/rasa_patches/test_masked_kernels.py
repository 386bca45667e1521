"""DIET's randomly connected kernels are masked once when a model is loaded for prediction
(connector/rasa_patches/tuning.py, `load_model`): its predictions are what Rasa's own per-call
masking gives, and its prediction graph does not re-mask and re-assign the kernels."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import tensorflow as tf
from rasa.core.agent import Agent
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.utils.tensorflow.layers import RandomlyConnectedDense
from rasa.utils.tensorflow.models import RasaModel

from connector.rasa_patches import tuning

LINES = [
    "i'd like to book a beard trim",
    "my name is caller 12 smith",
    "friday at 3 pm",
    "yes",
    "is there parking near you",
    "cancel my booking please",
    "uh",
    "what about the price of a colour and a cut for my daughter next saturday morning",
]


def test_the_registry_applies_it() -> None:
    assert RandomlyConnectedDense.call is tuning.masked_dense_call
    assert RasaModel.load.__func__ is tuning.load_model  # type: ignore[attr-defined]


def diet_model(agent: Agent) -> RasaModel:
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    (diet,) = [n._component for n in nodes if isinstance(n._component, DIETClassifier)]
    return diet.model


def batches(agent: Agent, model: RasaModel) -> list[Any]:
    """The model's input for each line, as Rasa's parse hands it over."""
    seen: list[Any] = []
    predict = model._rasa_predict

    def keep(batch_in: Any) -> Any:
        seen.append(batch_in)
        return predict(batch_in)

    model._rasa_predict = keep  # type: ignore[method-assign]
    try:
        for line in LINES:
            asyncio.run(agent.parse_message(line))
    finally:
        del model._rasa_predict
    assert len(seen) == len(LINES)
    return seen


def test_every_kernel_is_masked_once_at_load(agent: Agent) -> None:
    layers = tuning.randomly_connected_layers(diet_model(agent))
    assert len(layers) >= 10  # the transformer's and the embeddings' (Rasa's default density)
    for layer in layers:
        assert getattr(layer, tuning.MASKED) is True
        kernel, mask = layer.kernel.numpy(), layer.kernel_mask.numpy()
        assert np.array_equal(kernel, kernel * mask), layer.name  # the masked-out weights are 0
        assert 0 < mask.mean() < 1, layer.name


def test_the_prediction_graph_no_longer_assigns_kernels(agent: Agent) -> None:
    model = diet_model(agent)
    graph = model._tf_predict_step.get_concrete_function().graph
    kinds = {op.type for op in graph.get_operations()}
    assert "MatMul" in kinds and "AssignVariableOp" not in kinds


def test_predictions_are_those_of_rasas_own_masking(agent: Agent) -> None:
    model = diet_model(agent)
    layers = tuning.randomly_connected_layers(model)
    for batch_in in batches(agent, model):
        ours = model._tf_predict_step(batch_in)
        for layer in layers:  # Rasa's own call: mask and assign on every call
            setattr(layer, tuning.MASKED, False)
        try:
            rasas = model.predict_step(batch_in)  # eagerly, through the original call
        finally:
            for layer in layers:
                setattr(layer, tuning.MASKED, True)
        np.testing.assert_allclose(
            ours["i_scores"].numpy(), rasas["i_scores"].numpy(), rtol=1e-5, atol=1e-6
        )
        assert ours["i_scores"].numpy().argmax() == rasas["i_scores"].numpy().argmax()


def test_an_unmarked_layer_still_masks_on_every_call() -> None:
    layer = RandomlyConnectedDense(units=4, density=0.5, use_bias=False)
    layer.build(tf.TensorShape([None, 6]))
    mask = layer.kernel_mask.numpy()
    layer.kernel.assign(tf.ones_like(layer.kernel))
    out = layer(tf.ones([1, 6])).numpy()  # Rasa's behaviour: the kernel is masked in place
    assert np.array_equal(layer.kernel.numpy(), mask)
    assert np.allclose(out, mask.sum(axis=0))

    layer.kernel.assign(tf.ones_like(layer.kernel))
    setattr(layer, tuning.MASKED, True)  # marked: the call leaves the kernel alone
    out = layer(tf.ones([1, 6])).numpy()
    assert np.array_equal(layer.kernel.numpy(), np.ones_like(mask))
    assert np.allclose(out, 6.0)
