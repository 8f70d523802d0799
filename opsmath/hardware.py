"""Hardware arithmetic behind operations decisions: latency, memory, energy, training cost, fleet updates.

Every function takes SI base units and says so: **bytes** (not bits) for
sizes, **bytes per second** for memory bandwidth, **bits per second** for
network links (the way links are sold), seconds, watts, joules, dollars.
Sizes such as "80 GiB" and "16 GB" must be converted by the caller
(1 GiB = 2**30 bytes, 1 GB = 10**9 bytes); the track constants in
:mod:`opsmath.tracks` are already in bytes.

Sources
-------
* Roofline model: Williams, Waterman and Patterson, "Roofline: an insightful
  visual performance model for multicore architectures", CACM 52(4), 2009;
  the course's ``mlsysim`` uses the same bound (harvard-edge/cs249r_book,
  ``mlsysim/core/formulas.py``): a kernel takes at least its operations
  divided by peak compute and at least its bytes divided by memory
  bandwidth, so ``t = max(ops / peak, bytes / bandwidth)``.
* Weight memory ``parameters x bytes per parameter`` and ``2 x parameters``
  operations per generated token of a dense transformer (one multiply and
  one add per weight): the course's ``mlsysim`` model definitions
  (``mlsysim/core/constants.py``: ``LLAMA3_70B_PARAMS``, ``KWS_DSCNN_FLOPs``...).
* Energy = power x time; training energy cost = accelerator-hours x power
  (kW) x electricity price, with the course's ``CLOUD_ELECTRICITY_PER_KWH``
  ($0.12/kWh) and ``CLOUD_GPU_TRAINING_PER_HOUR`` ($4.00/h) in
  ``mlsysim/core/constants.py``. A board's TDP is the most it is designed
  to dissipate; a *power budget* is what the mission allows. They are
  different numbers (phone NPU: 3 W TDP, 2 W thermal cap on AR glasses).
* Uniform (affine) quantization with ``2**bits - 1`` steps over a clipping
  range, rounding to the nearest level: worst-case error half a step
  (Jacob et al., "Quantization and training of neural networks for efficient
  integer-arithmetic-only inference", CVPR 2018). IEEE 754 round-to-nearest:
  relative error at most ``2**-(mantissa_bits + 1)`` (unit roundoff).
"""

from __future__ import annotations

import math

from opsmath._validation import check_nonnegative, check_positive

__all__ = [
    "BITS_PER_BYTE",
    "FLOAT_MANTISSA_BITS",
    "GB",
    "SECONDS_PER_HOUR",
    "GiB",
    "average_power",
    "energy_per_inference",
    "fits_in_latency_budget",
    "fits_in_memory",
    "fleet_update_bytes",
    "fleet_update_seconds",
    "histogram_bytes",
    "max_inference_rate",
    "max_model_copies",
    "max_monitored_features",
    "model_bytes",
    "quantization_error",
    "roofline_time",
    "shadow_share",
    "training_energy_kwh",
    "training_run_cost",
]

BITS_PER_BYTE = 8
GB = 10**9
"""One gigabyte (decimal): how link speeds, HBM bandwidth and Jetson memory are quoted."""
GiB = 2**30
"""One gibibyte (binary): how GPU and phone memory capacities are quoted (80 GiB H100)."""
SECONDS_PER_HOUR = 3600.0
FLOAT_MANTISSA_BITS = {"fp32": 23, "fp16": 10, "bf16": 7}
"""Stored mantissa bits of the IEEE 754 binary32/binary16 formats and bfloat16."""


def roofline_time(ops: float, bytes_moved: float, peak_ops_per_s: float, bandwidth_bytes_per_s: float) -> float:
    """Lower bound on the time of one inference from the roofline model, in seconds.

    Parameters
    ----------
    ops : float
        Operations per inference (same unit as ``peak_ops_per_s``: FLOPs or
        integer ops), ``>= 0``.
    bytes_moved : float
        Bytes read from memory per inference (at least the weights), ``>= 0``.
    peak_ops_per_s : float
        Peak compute of the device, ``> 0``.
    bandwidth_bytes_per_s : float
        Memory bandwidth in **bytes** per second, ``> 0``.

    Returns
    -------
    float
        ``max(ops / peak_ops_per_s, bytes_moved / bandwidth_bytes_per_s)``
        (Williams et al. 2009): the device can overlap compute and memory
        traffic but cannot beat either limit. Zero work takes zero time.
    """
    ops = check_nonnegative(ops, "ops")
    bytes_moved = check_nonnegative(bytes_moved, "bytes_moved")
    peak = check_positive(peak_ops_per_s, "peak_ops_per_s")
    bandwidth = check_positive(bandwidth_bytes_per_s, "bandwidth_bytes_per_s")
    return max(ops / peak, bytes_moved / bandwidth)


def fits_in_latency_budget(time_s: float, budget_s: float) -> bool:
    """Whether an inference meets its deadline.

    Parameters
    ----------
    time_s : float
        Seconds one inference takes (``>= 0``), e.g. from :func:`roofline_time`.
    budget_s : float
        The deadline in seconds (``> 0``): 0.010 for a 10 ms loop, 1/60 for 60 FPS.

    Returns
    -------
    bool
        ``time_s <= budget_s`` (meeting the deadline exactly counts).
    """
    t = check_nonnegative(time_s, "time_s")
    budget = check_positive(budget_s, "budget_s")
    return t <= budget


def shadow_share(serve_time_s: float, shadow_time_s: float, budget_s: float) -> float:
    """Largest fraction of requests a shadow model can also process within the serving deadline.

    On a device that runs one model at a time, serving a request takes
    ``serve_time_s``; shadowing it as well adds ``shadow_time_s``. Shadowing
    a fraction ``s`` of requests keeps every request within the budget when
    the slack ``budget_s - serve_time_s`` covers the extra work, on average
    ``s * shadow_time_s`` per request (the shadow runs in the slack of the
    frames it does not shadow too). Hence

    ``s = clip((budget_s - serve_time_s) / shadow_time_s, 0, 1)``.

    Parameters
    ----------
    serve_time_s, shadow_time_s : float
        Seconds per inference of the serving and the shadow model (``> 0``).
    budget_s : float
        The per-request deadline in seconds (``> 0``).

    Returns
    -------
    float
        In [0, 1]: 0 when serving alone already misses the deadline, 1 when
        every request can be shadowed.
    """
    serve = check_positive(serve_time_s, "serve_time_s")
    shadow = check_positive(shadow_time_s, "shadow_time_s")
    budget = check_positive(budget_s, "budget_s")
    return min(1.0, max(0.0, (budget - serve) / shadow))


def model_bytes(parameters: float, bytes_per_parameter: float) -> float:
    """Bytes of a model's weights.

    Parameters
    ----------
    parameters : float
        Parameter count (``> 0``), e.g. 70.6e9 for Llama-3-70B (mlsysim ``LLAMA3_70B_PARAMS``).
    bytes_per_parameter : float
        **Bytes** (not bits) per weight: FP32 = 4, FP16 = 2, INT8 = 1, INT4 = 0.5.

    Returns
    -------
    float
        ``parameters * bytes_per_parameter`` bytes.
    """
    n = check_positive(parameters, "parameters")
    b = check_positive(bytes_per_parameter, "bytes_per_parameter")
    return n * b


def fits_in_memory(weights_bytes: float, memory_bytes: float, copies: int = 1) -> bool:
    """Whether copies of a model's weights fit in memory.

    Parameters
    ----------
    weights_bytes : float
        Bytes of one copy (``> 0``), see :func:`model_bytes`.
    memory_bytes : float
        Memory in **bytes** (``> 0``): 80 GiB = 80 * 2**30, 16 GB = 16e9.
    copies : int, optional
        Copies that must fit: 1 for the model, 2 for the model plus its shadow.

    Returns
    -------
    bool
        ``copies * weights_bytes <= memory_bytes``.
    """
    w = check_positive(weights_bytes, "weights_bytes")
    m = check_positive(memory_bytes, "memory_bytes")
    if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
        raise ValueError(f"copies must be a positive integer, got {copies!r}")
    return copies * w <= m


def max_model_copies(weights_bytes: float, memory_bytes: float) -> int:
    """How many copies of a model's weights fit in memory.

    Parameters
    ----------
    weights_bytes : float
        Bytes of one copy (``> 0``).
    memory_bytes : float
        Memory in bytes (``> 0``).

    Returns
    -------
    int
        ``floor(memory_bytes / weights_bytes)``: a shadow deployment needs 2
        (serving model plus candidate); 0 means the model alone does not fit.
    """
    w = check_positive(weights_bytes, "weights_bytes")
    m = check_positive(memory_bytes, "memory_bytes")
    return math.floor(m / w)


def histogram_bytes(features: int, bins: int, bytes_per_count: int, windows: int = 2) -> int:
    """Bytes of a histogram drift monitor.

    Parameters
    ----------
    features : int
        Monitored features (``>= 0``).
    bins : int
        Bins per histogram (``>= 1``; the chapter's PSI uses 10).
    bytes_per_count : int
        **Bytes** per bin counter (``uint32`` = 4).
    windows : int, optional
        Histograms per feature: 2, the frozen training reference and the
        running live window that PSI compares (chapter ``@eq-psi``).

    Returns
    -------
    int
        ``features * windows * bins * bytes_per_count``.
    """
    for value, name in ((features, "features"), (bins, "bins"), (bytes_per_count, "bytes_per_count"),
                        (windows, "windows")):
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "features" else 1):
            raise ValueError(f"{name} must be a {'non-negative' if name == 'features' else 'positive'} integer,"
                             f" got {value!r}")
    return features * windows * bins * bytes_per_count


def max_monitored_features(budget_bytes: float, bins: int, bytes_per_count: int, windows: int = 2) -> int:
    """Largest number of features whose PSI histograms fit a monitoring memory budget.

    Parameters
    ----------
    budget_bytes : float
        Memory set aside for monitoring, in **bytes** (``>= 0``).
    bins : int
        Histogram bins per feature (``>= 1``).
    bytes_per_count : int
        Size of one bin counter in **bytes** (a ``uint32`` counter is 4, not 32).
    windows : int, optional
        Histograms kept per feature (2: training reference and live window).

    Returns
    -------
    int
        ``floor(budget_bytes / (windows * bins * bytes_per_count))``.
    """
    budget = check_nonnegative(budget_bytes, "budget_bytes")
    per_feature = histogram_bytes(1, bins, bytes_per_count, windows)
    return math.floor(budget / per_feature)


def energy_per_inference(power_w: float, time_s: float) -> float:
    """Energy of one inference, E = P t.

    Parameters
    ----------
    power_w : float
        Watts drawn while the inference runs (``> 0``); the board's TDP gives
        an upper bound, a measured active power a better estimate.
    time_s : float
        Seconds the inference takes (``>= 0``).

    Returns
    -------
    float
        Joules: ``power_w * time_s``.
    """
    p = check_positive(power_w, "power_w")
    t = check_nonnegative(time_s, "time_s")
    return p * t


def average_power(energy_j: float, rate_per_s: float) -> float:
    """Average power of a steady stream of inferences (idle power not included).

    Parameters
    ----------
    energy_j : float
        Joules per inference (``>= 0``), see :func:`energy_per_inference`.
    rate_per_s : float
        Inferences per second (``>= 0``): 60 for a 60 FPS overlay.

    Returns
    -------
    float
        Watts: ``energy_j * rate_per_s``; compare it with the power budget.
    """
    e = check_nonnegative(energy_j, "energy_j")
    r = check_nonnegative(rate_per_s, "rate_per_s")
    return e * r


def max_inference_rate(power_budget_w: float, energy_j: float) -> float:
    """Most inferences per second a power budget sustains.

    Parameters
    ----------
    power_budget_w : float
        The mission's **power budget** in watts (``> 0``), not the chip's TDP:
        the TDP is what the silicon may dissipate, the budget what the product
        allows (2 W thermal cap on AR glasses against a 3 W NPU; 1 mW hearable).
    energy_j : float
        Joules per inference (``>= 0``).

    Returns
    -------
    float
        ``power_budget_w / energy_j`` per second (``inf`` when inferences cost nothing).
    """
    budget = check_positive(power_budget_w, "power_budget_w")
    e = check_nonnegative(energy_j, "energy_j")
    return math.inf if e == 0 else budget / e


def training_energy_kwh(accelerator_hours: float, power_w: float) -> float:
    """Energy of a training run.

    Parameters
    ----------
    accelerator_hours : float
        Accelerator-hours (``>= 0``).
    power_w : float
        Power per accelerator in **watts** (``> 0``); 700 W is the H100 SXM's TDP.

    Returns
    -------
    float
        Kilowatt-hours: ``accelerator_hours * power_w / 1000``.
    """
    hours = check_nonnegative(accelerator_hours, "accelerator_hours")
    p = check_positive(power_w, "power_w")
    return hours * p / 1000.0


def training_run_cost(accelerator_hours: float, usd_per_accelerator_hour: float, power_w: float,
                      usd_per_kwh: float) -> float:
    """Dollars of a training run: rented accelerator time plus the electricity it draws.

    Parameters
    ----------
    accelerator_hours : float
        Accelerator-hours of the run (GPUs x wall-clock hours), ``>= 0``.
    usd_per_accelerator_hour : float
        Rental price per accelerator-hour (course baseline $4.00/h for training).
    power_w : float
        Power drawn per accelerator in **watts** (TDP as an upper bound: 700 W for an H100 SXM).
    usd_per_kwh : float
        Electricity price per kWh (course baseline $0.12/kWh).

    Returns
    -------
    float
        ``accelerator_hours * usd_per_accelerator_hour + training_energy_kwh(...) * usd_per_kwh``.
    """
    hours = check_nonnegative(accelerator_hours, "accelerator_hours")
    price = check_nonnegative(usd_per_accelerator_hour, "usd_per_accelerator_hour")
    kwh_price = check_nonnegative(usd_per_kwh, "usd_per_kwh")
    return hours * price + training_energy_kwh(hours, power_w) * kwh_price


def fleet_update_bytes(update_bytes: float, devices: int) -> float:
    """Bytes sent to push one update to a fleet.

    Parameters
    ----------
    update_bytes : float
        Size of the update in bytes (``>= 0``), e.g. the model's weights.
    devices : int
        Devices that each receive a full copy (``>= 0``).

    Returns
    -------
    float
        ``update_bytes * devices``.
    """
    size = check_nonnegative(update_bytes, "update_bytes")
    if isinstance(devices, bool) or not isinstance(devices, int) or devices < 0:
        raise ValueError(f"devices must be a non-negative integer, got {devices!r}")
    return size * devices


def fleet_update_seconds(update_bytes: float, devices: int, link_bits_per_s: float) -> float:
    """Seconds to push an update to a fleet through one distribution link.

    Parameters
    ----------
    update_bytes : float
        Size of the update in **bytes** (``>= 0``).
    devices : int
        Devices that each receive a full copy (``>= 0``).
    link_bits_per_s : float
        The link in **bits** per second (``> 0``): 10 Gb/s = 10e9 = 1.25 GB/s.

    Returns
    -------
    float
        ``fleet_update_bytes(update_bytes, devices) * 8 / link_bits_per_s``.
    """
    link = check_positive(link_bits_per_s, "link_bits_per_s")
    return fleet_update_bytes(update_bytes, devices) * BITS_PER_BYTE / link


def quantization_error(low: float, high: float, precision: str) -> float:
    """Worst-case rounding error when values in ``[low, high]`` are stored at ``precision``.

    Parameters
    ----------
    low, high : float
        The range of the values (``low < high``); for integer formats the
        clipping range of the quantizer.
    precision : str
        ``"int<b>"`` (e.g. ``"int8"``: uniform affine quantization with
        ``2**b - 1`` steps over the range) or one of ``"fp32"``, ``"fp16"``,
        ``"bf16"`` (round to nearest).

    Returns
    -------
    float
        Integer formats: half a step, ``(high - low) / (2 * (2**b - 1))``.
        Floating formats: the unit roundoff times the largest magnitude,
        ``max(|low|, |high|) * 2**-(mantissa_bits + 1)``.
    """
    lo = float(low)
    hi = float(high)
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        raise ValueError(f"need finite low < high, got {low!r}, {high!r}")
    if not isinstance(precision, str):
        raise ValueError(f"precision must be a string such as 'int8' or 'fp16', got {precision!r}")
    key = precision.lower()
    if key in FLOAT_MANTISSA_BITS:
        return max(abs(lo), abs(hi)) * 2.0 ** -(FLOAT_MANTISSA_BITS[key] + 1)
    if key.startswith("int") and key[3:].isdigit() and int(key[3:]) >= 1:
        bits = int(key[3:])
        return (hi - lo) / (2 * (2**bits - 1))
    raise ValueError(f"unknown precision {precision!r}; use 'int<bits>', 'fp32', 'fp16' or 'bf16'")

