"""opsmath.hardware: worked examples against hand arithmetic, properties, and input errors.

Each worked example writes the arithmetic out with the published figures
(shared/reference/hardware.md, from the course's mlsysim), so the expected
number never comes from the code under test.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opsmath
from opsmath import hardware as hw

SETTINGS = settings(derandomize=True, database=None, max_examples=60, deadline=None)

positive = st.floats(1e-6, 1e15)
nonnegative = st.just(0.0) | positive


# -- worked examples ---------------------------------------------------------------------
def test_roofline_llama_token_on_one_h100_node():
    # Llama-3-70B, FP16: 70.6e9 params x 2 B = 141.2e9 B; 2 x 70.6e9 = 141.2e9 FLOP per token.
    # One node = 8 x H100: 8 x 989e12 FLOP/s = 7.912e15; 8 x 3.35e12 B/s = 26.8e12 B/s.
    # compute 141.2e9 / 7.912e15 = 1.7846e-5 s; memory 141.2e9 / 26.8e12 = 5.26866e-3 s -> memory-bound.
    t = hw.roofline_time(141.2e9, 141.2e9, 8 * 989e12, 8 * 3.35e12)
    assert t == pytest.approx(141.2 / 26.8 * 1e-3, rel=1e-12)
    assert t == pytest.approx(5.26866e-3, rel=1e-5)


def test_roofline_yolo_on_orin_is_compute_bound():
    # YOLOv8-nano INT8: 8.7e9 ops / 100e12 ops/s = 87e-6 s; 3.2e6 B / 102e9 B/s = 31.37e-6 s.
    assert hw.roofline_time(8.7e9, 3.2e6, 100e12, 102e9) == pytest.approx(87e-6, rel=1e-12)


def test_roofline_dscnn_on_cortex_m7_misses_10_ms():
    # DS-CNN: 20e6 ops / 1e9 ops/s = 20e-3 s (memory 200e3 / 0.05e9 = 4e-3 s): twice the 10 ms budget.
    t = hw.roofline_time(20e6, 200e3, 1e9, 0.05e9)
    assert t == pytest.approx(0.020, rel=1e-12)
    assert not hw.fits_in_latency_budget(t, 0.010)
    assert hw.shadow_share(t, t, 0.010) == 0.0


def test_shadow_share_hand_computed():
    # 16.67 ms frame, 10 ms serving, 14 ms shadow: slack 6.67 ms / 14 ms = 0.4762.
    assert hw.shadow_share(0.010, 0.014, 1 / 60) == pytest.approx((1 / 60 - 0.010) / 0.014, rel=1e-12)
    assert hw.shadow_share(0.001, 0.001, 0.010) == 1.0  # 9 ms slack, 1 ms shadow: capped at every request
    assert hw.shadow_share(0.010, 0.001, 0.010) == 0.0  # no slack at all


def test_memory_fit_llama_and_dscnn():
    # 141.2e9 B of FP16 Llama-3-70B vs one H100's 80 GiB = 85,899,345,920 B: does not fit;
    # a node's 8 x 80 GiB = 687,194,767,360 B holds floor(687.19 / 141.2) = 4 copies (model + shadow fits).
    llama = hw.model_bytes(70.6e9, 2)
    assert llama == 141.2e9
    assert not hw.fits_in_memory(llama, 80 * 2**30)
    assert hw.max_model_copies(llama, 8 * 80 * 2**30) == 4
    assert hw.fits_in_memory(llama, 8 * 80 * 2**30, copies=2)
    # DS-CNN INT8: 200,000 B; 256 KiB = 262,144 B: the model fits once, model + shadow (400,000 B) does not.
    assert hw.max_model_copies(200e3, 256 * 1024) == 1
    assert hw.fits_in_memory(200e3, 256 * 1024) and not hw.fits_in_memory(200e3, 256 * 1024, copies=2)
    # GB vs GiB: 80 GB = 80e9 B holds 1 copy of 70 GB, 80 GiB too, but 16 GB (16e9) is not 16 GiB (17.18e9).
    assert hw.max_model_copies(8.5e9, 16e9) == 1 and hw.max_model_copies(8.5e9, 16 * 2**30) == 2


def test_monitored_features_hand_computed():
    # 1 % of (262,144 - 200,000) B = 621.44 B; per feature 2 windows x 10 bins x 4 B = 80 B -> floor(7.768) = 7.
    assert hw.histogram_bytes(1, 10, 4) == 80
    assert hw.max_monitored_features(0.01 * (262_144 - 200_000), 10, 4) == 7
    # counters counted in bits (32) instead of bytes (4): 621.44 / 640 -> 0 features.
    assert hw.max_monitored_features(621.44, 10, 32) == 0
    assert hw.max_monitored_features(0, 10, 4) == 0


def test_training_run_cost_cloud_2m_run():
    # 500,000 H100-hours x $4.00 = $2,000,000; energy 500,000 h x 0.7 kW = 350,000 kWh x $0.12 = $42,000.
    assert hw.training_energy_kwh(500_000, 700) == pytest.approx(350_000, rel=1e-12)
    assert hw.training_run_cost(500_000, 4.0, 700, 0.12) == pytest.approx(2_042_000, rel=1e-12)


def test_energy_and_power_budget():
    # Phone NPU at its 3 W TDP for 35 us: 105 uJ per frame; 60 FPS -> 6.3 mW average.
    e = hw.energy_per_inference(3.0, 35e-6)
    assert e == pytest.approx(105e-6, rel=1e-12)
    assert hw.average_power(e, 60) == pytest.approx(6.3e-3, rel=1e-12)
    # Under the 2 W cap (not the 3 W TDP): 2 / 105e-6 = 19,047.6 frames/s.
    assert hw.max_inference_rate(2.0, e) == pytest.approx(2.0 / 105e-6, rel=1e-12)
    assert hw.max_inference_rate(2.0, 0.0) == math.inf


def test_fleet_update_edge():
    # 500,000 vehicles x 3.2e6 B = 1.6e12 B = 1.28e13 bit; / 10e9 bit/s = 1,280 s.
    assert hw.fleet_update_bytes(3.2e6, 500_000) == pytest.approx(1.6e12, rel=1e-12)
    assert hw.fleet_update_seconds(3.2e6, 500_000, 10e9) == pytest.approx(1280.0, rel=1e-12)


def test_quantization_error_hand_computed():
    # INT8 over [-4, 4]: step 8 / 255 = 0.031373, worst error half a step = 0.0156863.
    assert hw.quantization_error(-4, 4, "int8") == pytest.approx(8 / 510, rel=1e-12)
    # FP16 (10 mantissa bits): unit roundoff 2**-11 = 4.8828e-4 times max |x| = 4 -> 1.953125e-3.
    assert hw.quantization_error(-4, 4, "fp16") == 4 * 2.0**-11
    assert hw.quantization_error(0, 1, "fp32") == 2.0**-24
    assert hw.quantization_error(0, 255, "int8") == 0.5


# -- track constants ---------------------------------------------------------------------
def test_track_hardware_units_and_sources():
    tiny = opsmath.TRACKS["tiny_pioneer"]
    assert tiny.hardware.memory_bytes == 256 * 1024  # the lab mission's 256 KB SRAM
    assert "256 KiB" in tiny.mission
    assert opsmath.TRACKS["cloud_titan"].hardware.memory_bytes == 80 * 2**30  # 80 GiB, binary
    assert opsmath.TRACKS["edge_guardian"].hardware.memory_bytes == 16e9  # 16 GB, decimal
    for track in opsmath.TRACKS.values():
        d, s = track.deployment, track.scenario
        # the retraining run's accelerator-hours reproduce the scenario's retrain cost at $4.00/h
        assert d.retrain_accelerator_hours * 4.0 == s.retrain_cost
        assert s.engineer_hourly_cost == 150.0 and s.team_capacity_hours == 4000.0 and s.release_cycle_hours == 168
        assert d.bytes_per_parameter == {"fp16": 2, "int8": 1}[d.precision]
    assert opsmath.TRACKS["cloud_titan"].scenario.retrain_cost == 2e6
    assert opsmath.TRACKS["edge_guardian"].deployment.fleet_devices == 500_000
    assert opsmath.TRACKS["mobile_nomad"].deployment.latency_budget_s == 1 / 60
    assert opsmath.TRACKS["tiny_pioneer"].hardware.power_budget_w == 1e-3


# -- properties --------------------------------------------------------------------------
@SETTINGS
@given(nonnegative, nonnegative, positive, positive)
def test_roofline_is_the_larger_bound(ops, nbytes, peak, bw):
    t = hw.roofline_time(ops, nbytes, peak, bw)
    assert t >= ops / peak and t >= nbytes / bw
    assert t in (ops / peak, nbytes / bw)


@SETTINGS
@given(positive, positive, positive, st.floats(1.0, 1e3))
def test_roofline_monotone_in_work_and_hardware(ops, nbytes, peak, factor):
    t = hw.roofline_time(ops, nbytes, peak, peak)
    assert hw.roofline_time(ops * factor, nbytes * factor, peak, peak) >= t
    assert hw.roofline_time(ops, nbytes, peak * factor, peak * factor) <= t


@SETTINGS
@given(st.floats(1e-6, 1.0), st.floats(1e-6, 1.0), st.floats(1e-6, 1.0))
def test_shadow_share_bounds_and_budget(serve, shadow, budget):
    s = hw.shadow_share(serve, shadow, budget)
    assert 0.0 <= s <= 1.0
    assert (s == 0.0) == (serve >= budget)
    if 0 < s < 1:
        assert serve + s * shadow == pytest.approx(budget, rel=1e-9)


@SETTINGS
@given(st.floats(1.0, 1e12), st.floats(1.0, 1e13))
def test_copies_consistent_with_fit(weights, memory):
    k = hw.max_model_copies(weights, memory)
    assert k * weights <= memory < (k + 1) * weights * (1 + 1e-12)
    if k >= 1:
        assert hw.fits_in_memory(weights, memory, copies=k)


@SETTINGS
@given(st.floats(0.0, 1e12), st.integers(1, 100), st.sampled_from([1, 2, 4, 8]))
def test_monitored_features_fill_but_do_not_overflow(budget, bins, counter):
    n = hw.max_monitored_features(budget, bins, counter)
    assert hw.histogram_bytes(n, bins, counter) <= budget < hw.histogram_bytes(n + 1, bins, counter)


@SETTINGS
@given(nonnegative, st.floats(0.01, 1e4), st.floats(1.0, 2000.0), st.floats(0.0, 1.0))
def test_training_cost_linear_in_hours(hours, price, watts, kwh):
    one = hw.training_run_cost(1.0, price, watts, kwh)
    assert hw.training_run_cost(hours, price, watts, kwh) == pytest.approx(hours * one, rel=1e-9, abs=1e-9)
    assert one == pytest.approx(price + watts / 1000 * kwh, rel=1e-12)


@SETTINGS
@given(st.floats(0.0, 1e12), st.integers(0, 10**7), st.floats(1e3, 1e12))
def test_fleet_update_bits_per_byte(size, devices, link):
    seconds = hw.fleet_update_seconds(size, devices, link)
    assert seconds == pytest.approx(8 * size * devices / link, rel=1e-12, abs=1e-12)


@SETTINGS
@given(st.floats(-1e6, 1e6), st.floats(1e-3, 1e6), st.integers(2, 16))
def test_more_bits_less_error(low, width, bits):
    high = low + width
    assert hw.quantization_error(low, high, f"int{bits}") < hw.quantization_error(low, high, f"int{bits - 1}")
    assert hw.quantization_error(low, high, "fp32") <= hw.quantization_error(low, high, "fp16")


# -- input errors ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda: hw.roofline_time(-1, 1, 1, 1),
        lambda: hw.roofline_time(1, 1, 0, 1),
        lambda: hw.roofline_time(1, 1, 1, -5),
        lambda: hw.roofline_time(float("nan"), 1, 1, 1),
        lambda: hw.shadow_share(0, 1, 1),
        lambda: hw.shadow_share(1, 1, 0),
        lambda: hw.model_bytes(0, 2),
        lambda: hw.model_bytes(10, -1),
        lambda: hw.fits_in_memory(1, 1, copies=0),
        lambda: hw.fits_in_memory(1, 1, copies=1.5),
        lambda: hw.max_model_copies(0, 10),
        lambda: hw.max_monitored_features(-1, 10, 4),
        lambda: hw.max_monitored_features(100, 0, 4),
        lambda: hw.max_monitored_features(100, 10, 0),
        lambda: hw.energy_per_inference(0, 1),
        lambda: hw.max_inference_rate(0, 1),
        lambda: hw.training_run_cost(-1, 4, 700, 0.12),
        lambda: hw.training_run_cost(1, 4, 0, 0.12),
        lambda: hw.fleet_update_bytes(1, -1),
        lambda: hw.fleet_update_seconds(1, 1, 0),
        lambda: hw.quantization_error(1, 1, "int8"),
        lambda: hw.quantization_error(0, 1, "int0"),
        lambda: hw.quantization_error(0, 1, "fp8"),
        lambda: hw.fits_in_latency_budget(-1, 1),
    ],
)
def test_invalid_inputs_raise_value_error(call):
    with pytest.raises(ValueError):
        call()
