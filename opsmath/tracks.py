"""The four course tracks: persona, mission, hardware constants and scenario numbers.

Every assignment reads its track-specific inputs from here (the student
notebooks get the same numbers as a JSON constants file, see
``grader.build``). Hardware figures are the published values recorded in the
course repository harvard-edge/cs249r_book, ``mlsysim/core/constants.py`` and
``mlsysim/core/hardware.py`` (summarised in ``shared/reference/hardware.md``).
Scenario numbers are course design choices, picked so that each question
has a meaningful answer on each track: the square-root T* lands between
days and a few months, the exact optimum is finite (k = Cλ/(QVA0) < 1), the
platform break-even N* exists, and one track's canary does not fit a
one-week release at its default traffic share.

Sources of the scenario numbers: the lab plans (shared/seeds) give Cloud's
$2M retraining run, Edge's 10 ms loop and 500,000 vehicles, Mobile's 60 FPS
and 10 regions, Tiny's 1 mW and < 10 ms, the $500k platform and the one-week
(168 h) release cycle; the chapter "ML Operations" gives the $150/h
engineering rate (``hourly_cost = 150``). Every other scenario number is a
course design choice and is marked ``# design`` where it is set.

Each track also has a :class:`Deployment`: the model it serves (sizes from
``mlsysim/core/constants.py``: ``LLAMA3_70B_PARAMS``, ``YOLOV8_NANO_*``,
``MOBILENETV2_*``, ``KWS_DSCNN_*``), its latency budget, its fleet, and the
training hardware of a retrain; the hardware questions of every assignment
(:mod:`opsmath.hardware`) read them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any

__all__ = ["TRACKS", "Deployment", "Hardware", "Scenario", "Track", "get_track", "track_constants"]

GiB = 2**30
KiB = 2**10

# Course baselines shared by every track (mlsysim/core/constants.py):
TRAINING_USD_PER_GPU_HOUR = 4.0  # CLOUD_GPU_TRAINING_PER_HOUR
ELECTRICITY_USD_PER_KWH = 0.12  # CLOUD_ELECTRICITY_PER_KWH
H100_TDP_W = 700.0  # H100_TDP (SXM); retrains of every track run on rented H100s
ENGINEER_USD_PER_HOUR = 150.0  # chapter "ML Operations": hourly_cost = 150 ($150/hr engineering cost)
TEAM_CAPACITY_HOURS = 4_000.0  # two engineers x 2,000 working hours a year (course design, from the lead's brief)
HISTOGRAM_BINS = 10  # the chapter's PSI uses 10 bins
COUNTER_BYTES = 4  # one uint32 counter per bin (design)


@dataclass(frozen=True)
class Hardware:
    """Published constants of the track's reference device.

    Attributes
    ----------
    device : str
        Device name and year.
    peak_flops : float
        Peak compute in operations per second (precision in ``precision``).
    precision : str
        What ``peak_flops`` counts.
    memory_bandwidth : float
        Bytes per second.
    memory_bytes : float
        Device memory in bytes.
    tdp_w : float or None
        Published board/device power in watts (None where the source has none).
    power_budget_w : float
        The mission's power envelope in watts.
    unit_cost_usd : float or None
        Purchase price in dollars (None where the source has none).
    """

    device: str
    peak_flops: float
    precision: str
    memory_bandwidth: float
    memory_bytes: float
    tdp_w: float | None
    power_budget_w: float
    unit_cost_usd: float | None


@dataclass(frozen=True)
class Scenario:
    """Scenario numbers every assignment uses for one track (course design values).

    Drift (drift_detective): ``drift_feature`` is monitored; training data is
    N(train_mean, train_std), live data N(live_mean, live_std);
    ``drift_sensitivity`` is λ of the degradation equation, ``accuracy0`` the
    accuracy on the training distribution.

    Retraining (retraining_roi): ``retrain_cost`` C ($ per run),
    ``daily_queries`` Q, ``value_per_point`` V ($ per query per unit of
    accuracy), ``accuracy0`` A0, ``decay_rate`` λ (per day),
    ``current_interval_days`` the team's schedule today and
    ``accuracy_floor`` the trigger of a threshold policy.

    Slices (slice_deployment): ``slices`` as (name, requests, old accuracy,
    new accuracy) with ``target_slice`` the drifted minority slice.

    Platform (platform_roi): ``models_in_fleet``, ``platform_capex`` ($),
    ``engineer_hourly_cost`` ($/h), ``heterogeneity`` (dependency factor),
    ``team_capacity_hours`` per year.

    Canary (canary_duration): ``canary_confidence`` C, ``edge_case_rate`` p,
    ``request_rate_per_hour`` fleet-wide, ``canary_fraction`` of traffic,
    ``release_cycle_hours`` budget.

    Ensemble (ensemble_lockdown): ``extractor`` upstream, ``downstream``
    model, ``features`` produced by the extractor.
    """

    seed: int
    drift_feature: str
    train_mean: float
    train_std: float
    live_mean: float
    live_std: float
    drift_sensitivity: float
    retrain_cost: float
    daily_queries: float
    value_per_point: float
    accuracy0: float
    decay_rate: float
    current_interval_days: float
    accuracy_floor: float
    slices: tuple[tuple[str, int, float, float], ...]
    target_slice: str
    models_in_fleet: int
    platform_capex: float
    engineer_hourly_cost: float
    heterogeneity: float
    team_capacity_hours: float
    canary_confidence: float
    edge_case_rate: float
    request_rate_per_hour: float
    canary_fraction: float
    release_cycle_hours: float
    extractor: str
    downstream: str
    features: tuple[str, ...]


@dataclass(frozen=True)
class Deployment:
    """The model a track serves, where it runs, and what operating it costs in hardware.

    Attributes
    ----------
    model : str
        The served model (course repository's name for it).
    parameters : float
        Parameter count.
    precision : str
        Serving precision of the weights (``"fp16"``, ``"int8"``).
    bytes_per_parameter : float
        Bytes per weight at ``precision`` (FP16 = 2, INT8 = 1).
    ops_per_inference : float
        Operations per inference (per generated token for the LLM), in the
        unit of the device's ``peak_flops``.
    devices_per_replica : int
        Devices one serving replica spans (8 H100s of one node for Llama-3-70B).
    latency_budget_s : float
        Deadline of one inference in seconds.
    monitor_memory_share : float
        Share of the memory left beside the weights that the drift monitor may use (design).
    histogram_bins, counter_bytes : int
        Bins per monitored feature and bytes per bin counter.
    retrain_accelerator_hours : float
        H100-hours of one retraining run (``scenario.retrain_cost`` / $4.00 per hour).
    training_usd_per_hour, training_power_w, usd_per_kwh : float
        Rental price and power of one training accelerator, electricity price.
    fleet_devices : int
        Devices (or serving nodes) that receive a model update.
    update_link_bits_per_s : float
        The distribution link an update goes out through, in **bits** per second.
    """

    model: str
    parameters: float
    precision: str
    bytes_per_parameter: float
    ops_per_inference: float
    devices_per_replica: int
    latency_budget_s: float
    monitor_memory_share: float
    histogram_bins: int
    counter_bytes: int
    retrain_accelerator_hours: float
    training_usd_per_hour: float
    training_power_w: float
    usd_per_kwh: float
    fleet_devices: int
    update_link_bits_per_s: float


def _deployment(**kwargs: Any) -> Deployment:
    """A :class:`Deployment` with the course baselines every track shares."""
    shared = dict(histogram_bins=HISTOGRAM_BINS, counter_bytes=COUNTER_BYTES,
                  training_usd_per_hour=TRAINING_USD_PER_GPU_HOUR, training_power_w=H100_TDP_W,
                  usd_per_kwh=ELECTRICITY_USD_PER_KWH)
    return Deployment(**shared, **kwargs)


@dataclass(frozen=True)
class Track:
    """One course track."""

    key: str
    name: str
    persona: str
    mission: str
    ops_crisis: str
    scale_crisis: str
    hardware: Hardware
    scenario: Scenario
    deployment: Deployment


_TRACKS = {
    "cloud_titan": Track(
        key="cloud_titan",
        name="Cloud Titan",
        persona="LLM Architect",
        mission="Serve Llama-3-70B (70.6e9 parameters) on H100 nodes at maximum throughput.",
        ops_crisis="User prompts shifted to new slang and topics; accuracy fell 10 % and a retrain costs $2M.",
        scale_crisis="Fifty customer-specific LLM versions drown the on-call in alert noise.",
        # mlsysim/core/hardware.py: H100 SXM, 989 TFLOP/s FP16 dense tensor,
        # 3.35 TB/s HBM3, 80 GiB, 700 W; constants.py: ~$30,000 (2024).
        hardware=Hardware(
            "NVIDIA H100 SXM (2022)", 989e12, "FP16 tensor, dense", 3.35e12, 80 * GiB, 700.0, 700.0, 30_000.0
        ),
        scenario=Scenario(
            seed=1401,
            drift_feature="prompt_length_tokens",
            train_mean=180.0, train_std=60.0, live_mean=230.0, live_std=80.0,
            drift_sensitivity=0.25,
            retrain_cost=2_000_000.0, daily_queries=20_000_000.0, value_per_point=0.02,
            accuracy0=0.92, decay_rate=0.01, current_interval_days=3.0, accuracy_floor=0.85,
            slices=(("code", 30_000, 0.95, 0.96), ("english_chat", 120_000, 0.96, 0.96),
                    ("multilingual", 25_000, 0.90, 0.91), ("new_slang", 9_000, 0.71, 0.88)),
            target_slice="new_slang",
            models_in_fleet=50, platform_capex=500_000.0, engineer_hourly_cost=ENGINEER_USD_PER_HOUR,
            heterogeneity=2.5, team_capacity_hours=TEAM_CAPACITY_HOURS,  # 50 models: lab 12 plan; h: design
            canary_confidence=0.99, edge_case_rate=1e-4, request_rate_per_hour=2_000_000.0,
            canary_fraction=0.01, release_cycle_hours=168.0,
            extractor="prompt_embedder", downstream="toxicity_router",
            features=("embed_norm", "prompt_length_tokens", "language_score", "topic_entropy"),
        ),
        deployment=_deployment(
            # mlsysim LLAMA3_70B_PARAMS; FP16 weights; 2 ops per parameter per generated token
            model="Llama-3-70B", parameters=70.6e9, precision="fp16", bytes_per_parameter=2.0,
            ops_per_inference=2 * 70.6e9,
            devices_per_replica=8,  # mlsysim GPUS_PER_HOST: one 8-GPU H100 node holds a replica
            latency_budget_s=0.050,  # design: 50 ms per output token (20 tokens/s streaming)
            monitor_memory_share=0.01,  # design
            retrain_accelerator_hours=500_000.0,  # the lab's $2M run at $4.00 per H100-hour
            fleet_devices=125,  # design: 125 serving nodes (1,000 H100s) receive each customer model
            update_link_bits_per_s=100e9,  # mlsysim NETWORK_100G_BW: datacenter distribution link
        ),
    ),
    "edge_guardian": Track(
        key="edge_guardian",
        name="Edge Guardian",
        persona="AV Systems Lead",
        mission="Keep a deterministic 10 ms perception-to-brake loop on a Jetson Orin NX.",
        ops_crisis="Winter arrived; accuracy on snowy roads is 40 % below the sunny baseline.",
        scale_crisis="A shadow test on 500,000 vehicles shows a 100 ms latency tail on older hardware.",
        # mlsysim/core/hardware.py: Jetson Orin NX, 100 TFLOP/s as stored (the
        # vendor's sparse INT8 figure), 102 GB/s, 16 GB, 25 W; no unit cost stored.
        hardware=Hardware(
            "NVIDIA Jetson Orin NX (2023)", 100e12, "INT8 sparse, as stored", 102e9, 16e9, 25.0, 25.0, None
        ),
        scenario=Scenario(
            seed=1402,
            drift_feature="road_brightness",
            train_mean=0.62, train_std=0.12, live_mean=0.45, live_std=0.18,
            drift_sensitivity=0.30,
            retrain_cost=150_000.0, daily_queries=40_000_000.0, value_per_point=0.005,
            accuracy0=0.97, decay_rate=0.03, current_interval_days=1.0, accuracy_floor=0.90,
            slices=(("day_clear", 60_000, 0.975, 0.972), ("day_rain", 15_000, 0.94, 0.94),
                    ("night", 12_000, 0.91, 0.915), ("snow", 4_000, 0.58, 0.86)),
            target_slice="snow",
            models_in_fleet=24, platform_capex=500_000.0, engineer_hourly_cost=ENGINEER_USD_PER_HOUR,
            heterogeneity=2.0, team_capacity_hours=TEAM_CAPACITY_HOURS,  # N and h: design
            canary_confidence=0.999, edge_case_rate=1e-6, request_rate_per_hour=1_000_000.0,
            canary_fraction=0.01, release_cycle_hours=168.0,
            extractor="camera_backbone", downstream="brake_planner",
            features=("brightness", "contrast", "edge_density", "object_count"),
        ),
        deployment=_deployment(
            # mlsysim YOLOV8_NANO_PARAMS / YOLOV8_NANO_FLOPs (640x640); INT8 weights on the Orin's tensor cores
            model="YOLOv8-nano", parameters=3.2e6, precision="int8", bytes_per_parameter=1.0,
            ops_per_inference=8.7e9,
            devices_per_replica=1,
            latency_budget_s=0.010,  # the lab's deterministic 10 ms perception-to-brake loop
            monitor_memory_share=0.01,  # design
            retrain_accelerator_hours=37_500.0,  # scenario.retrain_cost $150,000 at $4.00 per H100-hour
            fleet_devices=500_000,  # the lab 12 plan: the perception model updates on 500,000 vehicles
            update_link_bits_per_s=10e9,  # mlsysim NETWORK_10G_BW: design, one 10 Gb/s origin link
        ),
    ),
    "mobile_nomad": Track(
        key="mobile_nomad",
        name="Mobile Nomad",
        persona="AR Glasses Developer",
        mission="Hold a 60 FPS translation overlay on AR glasses under a 2 W thermal cap.",
        ops_crisis="An NPU driver update makes the compiled model produce garbage: training-serving skew.",
        scale_crisis="An NPU power-policy update makes FPS drift differently across 10 regions.",
        # mlsysim/core/hardware.py: smartphone NPU (2024), 50 TOPS INT8,
        # 100 GB/s, 8 GiB, 3 W typical (3-5 W); no unit cost stored.
        hardware=Hardware("Smartphone NPU (2024)", 50e12, "INT8", 100e9, 8 * GiB, 3.0, 2.0, None),
        scenario=Scenario(
            seed=1403,
            drift_feature="frame_luma_mean",
            train_mean=110.0, train_std=25.0, live_mean=118.0, live_std=32.0,
            drift_sensitivity=0.20,
            # design: a retrain fine-tunes a small on-device model (500 H100-hours x $4/h = $2,000), cheap enough
            # that daily retraining beats the 0.82 floor (which waits 2.5 days)
            retrain_cost=2_000.0, daily_queries=5_000_000.0, value_per_point=0.01,
            accuracy0=0.93, decay_rate=0.05, current_interval_days=0.5, accuracy_floor=0.82,
            slices=(("latin_script", 50_000, 0.95, 0.955), ("cjk_script", 20_000, 0.92, 0.925),
                    ("low_light", 6_000, 0.74, 0.86), ("low_battery", 8_000, 0.93, 0.90)),
            target_slice="low_light",
            models_in_fleet=10, platform_capex=500_000.0, engineer_hourly_cost=ENGINEER_USD_PER_HOUR,
            heterogeneity=1.0, team_capacity_hours=TEAM_CAPACITY_HOURS,  # one model per region (10 regions); h: design
            canary_confidence=0.95, edge_case_rate=1e-3, request_rate_per_hour=400_000.0,
            canary_fraction=0.001, release_cycle_hours=168.0,
            extractor="text_detector", downstream="translator",
            features=("box_count", "glyph_height", "luma_mean", "blur_score"),
        ),
        deployment=_deployment(
            # mlsysim MOBILENETV2_PARAMS / MOBILENETV2_FLOPs: design, the overlay's detector backbone
            model="MobileNetV2", parameters=3.5e6, precision="int8", bytes_per_parameter=1.0,
            ops_per_inference=0.3e9,
            devices_per_replica=1,
            latency_budget_s=1 / 60,  # the lab's 60 FPS: one frame every 16.7 ms
            monitor_memory_share=0.01,  # design
            retrain_accelerator_hours=500.0,  # scenario.retrain_cost $2,000 at $4.00 per H100-hour
            fleet_devices=2_000_000,  # design: 200,000 glasses in each of the lab's 10 regions
            update_link_bits_per_s=10e9,  # mlsysim NETWORK_10G_BW: design, one 10 Gb/s origin link
        ),
    ),
    "tiny_pioneer": Track(
        key="tiny_pioneer",
        name="Tiny Pioneer",
        persona="Hearable Lead",
        mission="Isolate speech from noise in under 10 ms and 1 mW with a DS-CNN (200e3 parameters), 256 KiB SRAM.",
        ops_crisis="A new fan adds a frequency spike that kills noise isolation; there are no labels.",
        scale_crisis="An updated noise-isolation model broke the downstream wake-word detector.",
        # mlsysim/core/hardware.py: Cortex-M7 class MCU (2020), 0.001 TFLOP/s,
        # 0.05 GB/s; no power or cost stored (mission: < 1 mW). Memory: the
        # lab mission's 256 KB SRAM, read as 256 KiB as MCU datasheets mean it
        # (the nRF52840 in the same registry has 256 KiB); mlsysim's generic
        # Cortex-M7 class stores 512 KiB, which this track does not use.
        hardware=Hardware("Cortex-M7 class MCU (2020)", 1e9, "FP32", 0.05e9, 256 * KiB, None, 1e-3, None),
        scenario=Scenario(
            seed=1404,
            drift_feature="band_energy_2khz_db",
            train_mean=-42.0, train_std=6.0, live_mean=-36.0, live_std=7.0,
            drift_sensitivity=0.35,
            retrain_cost=8_000.0, daily_queries=2_000_000.0, value_per_point=0.002,
            accuracy0=0.90, decay_rate=0.004, current_interval_days=7.0, accuracy_floor=0.86,
            slices=(("quiet_room", 30_000, 0.94, 0.94), ("street", 12_000, 0.89, 0.895),
                    ("fan_noise", 3_000, 0.62, 0.84), ("accented_speech", 5_000, 0.90, 0.87)),
            target_slice="fan_noise",
            models_in_fleet=6, platform_capex=500_000.0, engineer_hourly_cost=ENGINEER_USD_PER_HOUR,
            heterogeneity=4.0, team_capacity_hours=TEAM_CAPACITY_HOURS,  # N and h: design
            canary_confidence=0.95, edge_case_rate=2e-4, request_rate_per_hour=20_000.0,
            canary_fraction=0.02, release_cycle_hours=168.0,
            extractor="noise_isolator", downstream="wake_word_detector",
            features=("band_energy_0", "band_energy_1", "band_energy_2", "band_energy_3"),
        ),
        deployment=_deployment(
            # mlsysim KWS_DSCNN_PARAMS / KWS_DSCNN_FLOPs (the lab's DS-CNN); INT8 weights held in SRAM
            model="DS-CNN", parameters=200e3, precision="int8", bytes_per_parameter=1.0,
            ops_per_inference=20e6,
            devices_per_replica=1,
            latency_budget_s=0.010,  # the lab's < 10 ms noise isolation
            monitor_memory_share=0.01,  # design
            retrain_accelerator_hours=2_000.0,  # scenario.retrain_cost $8,000 at $4.00 per H100-hour
            fleet_devices=1_000_000,  # design: one million hearables
            update_link_bits_per_s=10e9,  # mlsysim NETWORK_10G_BW: design, one 10 Gb/s origin link
        ),
    ),
}

TRACKS: MappingProxyType[str, Track] = MappingProxyType(_TRACKS)
"""The four tracks keyed ``cloud_titan``, ``edge_guardian``, ``mobile_nomad``, ``tiny_pioneer``."""


def get_track(key: str) -> Track:
    """Return the track called ``key``, with a helpful error for a typo."""
    try:
        return TRACKS[key]
    except KeyError:
        raise ValueError(f"unknown track {key!r}; choose one of {sorted(TRACKS)}") from None


def track_constants(key: str) -> dict[str, Any]:
    """The track as plain JSON-ready data (what the student constants file holds)."""
    data = asdict(get_track(key))
    data["scenario"]["slices"] = [list(s) for s in data["scenario"]["slices"]]
    data["scenario"]["features"] = list(data["scenario"]["features"])
    return data
