"""Held-out mistakes and alternatives for ensemble_lockdown, written from the student notebook's text alone."""

from __future__ import annotations

from fairness import BLACK_CELL, alternative, mistake

SF = "def schema_fingerprint"
IC = "def is_compatible"
CD = "def contract_diff"
PSI = "def psi_from_samples"
FS = "def feature_skew"
TA = "contracts = extractor_contracts(track)"
QE = "def quantization_error"

DUMPS = 'text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))'
HEX = 'return hashlib.sha256(text.encode("utf-8")).hexdigest()'
PAIRS = 'pairs = [[str(item[0]), str(item[1])] for item in contract["features"]]'
EDGES = "edges = np.unique(np.quantile(train, np.linspace(0, 1, bins + 1)))"
SKEWED = "skewed = sorted((n for n, v in skew_v2.items() if v > 0.2), key=lambda n: (-skew_v2[n], n))"
DROP = 'accuracy_drop = trace["1.0.0"]["frozen"] - trace["2.0.0"]["frozen"]'
FP = "fingerprint_v1 = schema_fingerprint(v1)"
COMPAT = "compatible_after_upgrade = is_compatible(v1, v2)"
SKEW = "skew_v2 = feature_skew(snapshot_v1, serving_v2)"
INT_RET = "return float((high - low) / (2 * (2**bits - 1)))"
FP_RET = "return float(max(abs(low), abs(high)) * 2.0 ** -(mantissa + 1))"
PSKEW = "precision_skew = quantization_error(column.min(), column.max(), track.deployment.precision) / column.std()"

PSI_HISTOGRAM = '''def psi_from_samples(train, live, bins=10):
    """PSI between a training and a live sample, with quantile bins learned on the training sample."""
    train = np.asarray(train, dtype=float)
    live = np.asarray(live, dtype=float)
    edges = np.unique(np.quantile(train, np.linspace(0, 1, bins + 1)))
    e = np.histogram(train, bins=edges)[0] / len(train)
    a = np.histogram(live, bins=edges)[0] / len(live)
    e = np.where(e == 0, 1e-4, e)
    a = np.where(a == 0, 1e-4, a)
    e, a = e / e.sum(), a / a.sum()
    return float(np.sum((a - e) * np.log(a / e)))
'''

PSI_LOOP = '''def _smooth(p, eps=1e-4):
    """Zero proportions become eps, then the distribution is renormalised."""
    return p if (p > 0).all() else np.where(p == 0, eps, p) / np.where(p == 0, eps, p).sum()


def psi_from_samples(train, live, bins=10):
    """PSI between a training and a live sample, with quantile bins learned on the training sample."""
    train = np.array(train, dtype=float)
    live = np.array(live, dtype=float)
    edges = np.unique(np.quantile(train, np.linspace(0, 1, bins + 1)))
    inner = edges[1:-1] if edges.size >= 3 else edges[:1]
    k = inner.size + 1
    bin_train = np.searchsorted(inner, train, side="right")
    bin_live = np.searchsorted(inner, live, side="right")
    e = np.array([np.count_nonzero(bin_train == i) for i in range(k)], dtype=float) / train.size
    a = np.array([np.count_nonzero(bin_live == i) for i in range(k)], dtype=float) / live.size
    e, a = _smooth(e), _smooth(a)
    return float(np.sum((a - e) * (np.log(a) - np.log(e))))
'''

DIFF_HELPER = '''def _normalise(contract):
    """The contract as question 1 normalises it."""
    return {
        "extractor": str(contract.get("extractor", "")),
        "version": str(contract.get("version", "")),
        "features": [[str(name), str(dtype)] for name, dtype in contract.get("features", [])],
        "params": dict(contract.get("params", {})),
    }


def contract_diff(trained_on, serving):
    """What changed between the contract a model was trained on and the serving one."""
    a, b = _normalise(trained_on), _normalise(serving)
    old = [name for name, _ in a["features"]]
    new = [name for name, _ in b["features"]]
    dtype_old, dtype_new = dict(a["features"]), dict(b["features"])
    shared = set(old) & set(new)
    diff = {}
    diff["missing"] = [n for n in old if n not in set(new)]
    diff["extra"] = [n for n in new if n not in set(old)]
    diff["dtype_changed"] = [n for n in old if n in shared and dtype_old[n] != dtype_new[n]]
    diff["reordered"] = bool([n for n in old if n in shared] != [n for n in new if n in shared])
    diff["version_changed"] = (a["extractor"], a["version"]) != (b["extractor"], b["version"])
    return diff
'''

QE_REGEX = '''import re


def quantization_error(low, high, precision):
    """Worst-case rounding error of values in [low, high] stored at precision ("int<b>", "fp32", "fp16")."""
    match = re.fullmatch(r"int(\\d+)", precision)
    if match:
        levels = 2 ** int(match.group(1))
        return 0.5 * (high - low) / (levels - 1)
    if precision == "fp16":
        return np.ldexp(max(abs(low), abs(high)), -11)
    return np.ldexp(max(abs(low), abs(high)), -24)


first = scenario.features[0]
column = np.asarray(snapshot_v1[first], dtype=float)
precision_skew = quantization_error(column.min(), column.max(), track.deployment.precision) / column.std()
print(f"{first} at {track.deployment.precision}: worst-case rounding error {precision_skew:.2e} standard deviations")
'''

MUTANTS = {
    # ---- schema_fingerprint ------------------------------------------------------------------------------------
    "h_sf_no_sort_keys": mistake(
        "sort_keys forgotten",
        "schema_fingerprint",
        edit={SF: [(DUMPS, 'text = json.dumps(canonical, separators=(",", ":"))')]},
    ),
    "h_sf_default_separators": mistake(
        "json.dumps with its default separators (whitespace)",
        "schema_fingerprint",
        edit={SF: [(DUMPS, "text = json.dumps(canonical, sort_keys=True)")]},
    ),
    "h_sf_md5": mistake(
        "md5 instead of sha256",
        "schema_fingerprint",
        edit={SF: [(HEX, 'return hashlib.md5(text.encode("utf-8")).hexdigest()')]},
    ),
    "h_sf_sorted_features": mistake(
        "features sorted although their order matters",
        "schema_fingerprint",
        edit={SF: [(PAIRS, PAIRS.replace("[[", "sorted([[").replace('"]]', '"]])'))]},
    ),
    "h_sf_version_not_str": mistake(
        "version not passed through str()",
        "schema_fingerprint",
        edit={SF: [('"version": str(contract.get("version", ""))', '"version": contract.get("version", "")')]},
    ),
    "h_sf_missing_none": mistake(
        "missing extractor/version become 'None', not ''",
        "schema_fingerprint",
        edit={
            SF: [
                ('str(contract.get("version", ""))', 'str(contract.get("version"))'),
                ('str(contract.get("extractor", ""))', 'str(contract.get("extractor"))'),
            ]
        },
    ),
    "h_sf_params_dropped": mistake(
        "params left out of the normalised contract",
        "schema_fingerprint",
        edit={SF: [('"params": dict(contract.get("params", {})),\n', "")]},
    ),
    "h_sf_upper": mistake("uppercase hex digest", "schema_fingerprint", edit={SF: [(HEX, HEX + ".upper()")]}),
    "h_sf_bytes": mistake(
        "digest() bytes instead of the hex string",
        "schema_fingerprint",
        edit={SF: [(HEX, 'return hashlib.sha256(text.encode("utf-8")).digest()')]},
    ),
    "h_sf_raw_contract": mistake(
        "hashes the raw contract, not the normalised one",
        "schema_fingerprint",
        edit={SF: [(DUMPS, 'text = json.dumps(contract, sort_keys=True, separators=(",", ":"))')]},
    ),
    "h_sf_str_of_dict": mistake(
        "str(dict) instead of the canonical JSON",
        "schema_fingerprint",
        edit={SF: [(DUMPS, "text = str(dict(sorted(canonical.items())))")]},
    ),
    # ---- is_compatible -----------------------------------------------------------------------------------------
    "h_ic_dict_eq": mistake(
        "compares the dicts, not the fingerprints",
        "is_compatible",
        edit={
            IC: [
                ("return schema_fingerprint(trained_on) == schema_fingerprint(serving)", "return trained_on == serving")
            ]
        },
    ),
    "h_ic_inverted": mistake(
        "!= instead of ==",
        "is_compatible",
        edit={
            IC: [
                (
                    "schema_fingerprint(trained_on) == schema_fingerprint(serving)",
                    "schema_fingerprint(trained_on) != schema_fingerprint(serving)",
                )
            ]
        },
    ),
    "h_ic_feature_sets": mistake(
        "compares feature sets: a reorder passes",
        "is_compatible",
        edit={
            IC: [
                (
                    "return schema_fingerprint(trained_on) == schema_fingerprint(serving)",
                    "return {tuple(f) for f in trained_on['features']} == {tuple(f) for f in serving['features']}",
                )
            ]
        },
    ),
    "h_ic_version_only": mistake(
        "only the versions compared",
        "is_compatible",
        edit={
            IC: [
                (
                    "return schema_fingerprint(trained_on) == schema_fingerprint(serving)",
                    "return str(trained_on.get('version', '')) == str(serving.get('version', ''))",
                )
            ]
        },
    ),
    # ---- contract_diff -----------------------------------------------------------------------------------------
    "h_cd_missing_serving_order": mistake(
        "missing listed in sorted order",
        "contract_diff",
        edit={
            CD: [
                (
                    '"missing": [name for name in old if name not in new]',
                    '"missing": sorted(name for name in old if name not in new)',
                )
            ]
        },
    ),
    "h_cd_extra_sorted": mistake(
        "extra sorted, not in serving order",
        "contract_diff",
        edit={
            CD: [
                (
                    '"extra": [name for name in new if name not in old]',
                    '"extra": sorted(name for name in new if name not in old)',
                )
            ]
        },
    ),
    "h_cd_reordered_all": mistake(
        "reordered compares all names, not the shared ones",
        "contract_diff",
        edit={CD: [('"reordered": shared_old != shared_new', '"reordered": list(old) != list(new)')]},
    ),
    "h_cd_version_only": mistake(
        "version_changed ignores the extractor",
        "contract_diff",
        edit={
            CD: [('return str(c.get("extractor", "")), str(c.get("version", ""))', 'return str(c.get("version", ""))')]
        },
    ),
    "h_cd_sets": mistake(
        "sets instead of lists",
        "contract_diff",
        edit={
            CD: [
                (
                    '"missing": [name for name in old if name not in new]',
                    '"missing": {name for name in old if name not in new}',
                ),
                (
                    '"extra": [name for name in new if name not in old]',
                    '"extra": {name for name in new if name not in old}',
                ),
            ]
        },
    ),
    "h_cd_dtype_serving_order": mistake(
        "dtype_changed in serving order",
        "contract_diff",
        edit={
            CD: [
                (
                    "[name for name in shared_old if old[name] != new[name]]",
                    "[name for name in shared_new if old[name] != new[name]]",
                )
            ]
        },
    ),
    "h_cd_missing_none": mistake(
        "a missing version counts as None, not ''",
        "contract_diff",
        edit={
            CD: [
                (
                    'return str(c.get("extractor", "")), str(c.get("version", ""))',
                    'return c.get("extractor"), c.get("version")',
                )
            ]
        },
    ),
    "h_cd_reordered_int": mistake(
        "reordered as 0/1",
        "contract_diff",
        edit={CD: [('"reordered": shared_old != shared_new', '"reordered": int(shared_old != shared_new)')]},
    ),
    "h_cd_swapped_missing_extra": mistake(
        "missing and extra swapped",
        "contract_diff",
        edit={
            CD: [
                (
                    '"missing": [name for name in old if name not in new]',
                    '"missing": [name for name in new if name not in old]',
                ),
                (
                    '"extra": [name for name in new if name not in old]',
                    '"extra": [name for name in old if name not in new]',
                ),
            ]
        },
    ),
    # ---- psi_from_samples --------------------------------------------------------------------------------------
    "h_psi_eps_everywhere": mistake(
        "eps added to every bin, not only the empty ones",
        "psi_from_samples",
        edit={
            PSI: [
                (
                    "        if (p == 0).any():\n            p = np.where(p == 0, eps, p)\n"
                    "            p = p / p.sum()\n",
                    "        p = (p + eps) / (p + eps).sum()\n",
                )
            ]
        },
    ),
    "h_psi_no_renorm": mistake(
        "empty bins replaced but not renormalised",
        "psi_from_samples",
        edit={PSI: [("            p = p / p.sum()\n", "")]},
    ),
    "h_psi_side_left": mistake(
        "side='left' in searchsorted",
        "psi_from_samples",
        edit={
            PSI: [
                ('np.searchsorted(inner, train, side="right")', 'np.searchsorted(inner, train, side="left")'),
                ('np.searchsorted(inner, live, side="right")', 'np.searchsorted(inner, live, side="left")'),
            ]
        },
    ),
    "h_psi_equal_width": mistake(
        "equal-width bins instead of quantiles",
        "psi_from_samples",
        edit={PSI: [(EDGES, "edges = np.unique(np.linspace(train.min(), train.max(), bins + 1))")]},
    ),
    "h_psi_live_quantiles": mistake(
        "quantile edges learned on the live sample",
        "psi_from_samples",
        edit={PSI: [(EDGES, EDGES.replace("np.quantile(train", "np.quantile(live"))]},
    ),
    "h_psi_log10": mistake(
        "log10 in the PSI sum", "psi_from_samples", edit={PSI: [("np.log(a / e)", "np.log10(a / e)")]}
    ),
    "h_psi_kl": mistake(
        "KL divergence sum(a ln(a/e)) instead of PSI",
        "psi_from_samples",
        edit={PSI: [("np.sum((a - e) * np.log(a / e))", "np.sum(a * np.log(a / e))")]},
    ),
    "h_psi_histogram": mistake(
        "np.histogram drops live values outside the training range", "psi_from_samples", replace={PSI: PSI_HISTOGRAM}
    ),
    "h_psi_constant_one_bin": mistake(
        "constant training data: inner = edges[1:-1] anyway (one bin, PSI 0)",
        "psi_from_samples",
        edit={PSI: [("inner = edges[1:-1] if len(edges) >= 3 else edges[:1]", "inner = edges[1:-1]")]},
    ),
    "h_psi_eps_small": mistake(
        "eps = 1e-6",
        "psi_from_samples",
        edit={PSI: [("def proportions(counts, eps=1e-4)", "def proportions(counts, eps=1e-6)")]},
    ),
    "h_psi_bins_off_by_one": mistake(
        "np.linspace(0, 1, bins): one bin fewer",
        "psi_from_samples",
        edit={PSI: [(EDGES, EDGES.replace("bins + 1", "bins"))]},
    ),
    # ---- feature_skew ------------------------------------------------------------------------------------------
    "h_fs_serving_order": mistake(
        "serving table's column order",
        "feature_skew",
        edit={FS: [("for name in train if name in serving", "for name in serving if name in train")]},
    ),
    "h_fs_bins_ignored": mistake(
        "bins argument not passed on",
        "feature_skew",
        edit={
            FS: [
                (
                    "psi_from_samples(train[name], serving[name], bins=bins)",
                    "psi_from_samples(train[name], serving[name])",
                )
            ]
        },
    ),
    "h_fs_all_training": mistake(
        "every training feature, KeyError for one serving lacks",
        "feature_skew",
        edit={FS: [("for name in train if name in serving", "for name in train")]},
    ),
    "h_fs_sorted": mistake(
        "features sorted by name",
        "feature_skew",
        edit={FS: [("for name in train if name in serving", "for name in sorted(train) if name in serving")]},
    ),
    "h_fs_swapped": mistake(
        "serving as the reference sample (quantiles learned on serving)",
        "feature_skew",
        edit={
            FS: [
                (
                    "psi_from_samples(train[name], serving[name], bins=bins)",
                    "psi_from_samples(serving[name], train[name], bins=bins)",
                )
            ]
        },
    ),
    # ---- track answers -----------------------------------------------------------------------------------------
    "h_ta_skewed_unsorted": mistake(
        "skewed in training order, not worst first",
        "track_answer",
        edit={TA: [(SKEWED, "skewed = [n for n, v in skew_v2.items() if v > 0.2]")]},
    ),
    "h_ta_skewed_ascending": mistake(
        "skewed smallest PSI first",
        "track_answer",
        edit={
            TA: [(SKEWED, "skewed = sorted((n for n, v in skew_v2.items() if v > 0.2), key=lambda n: (skew_v2[n], n))")]
        },
    ),
    "h_ta_skewed_threshold": mistake(
        "0.1 instead of 0.2", "track_answer", edit={TA: [(SKEWED, SKEWED.replace("v > 0.2", "v > 0.1"))]}
    ),
    "h_ta_skewed_dict": mistake(
        "skewed as a dict name -> PSI",
        "track_answer",
        edit={TA: [(SKEWED, "skewed = {n: v for n, v in sorted(skew_v2.items(), key=lambda kv: -kv[1]) if v > 0.2}")]},
    ),
    "h_ta_drop_reversed": mistake(
        "2.0.0 minus 1.0.0",
        "track_answer",
        edit={TA: [(DROP, 'accuracy_drop = trace["2.0.0"]["frozen"] - trace["1.0.0"]["frozen"]')]},
    ),
    "h_ta_drop_retrained": mistake(
        "the retrained classifier's accuracy for 2.0.0",
        "track_answer",
        edit={TA: [(DROP, 'accuracy_drop = trace["1.0.0"]["frozen"] - trace["2.0.0"]["retrained"]')]},
    ),
    "h_ta_drop_percent": mistake(
        "drop in percentage points",
        "track_answer",
        edit={TA: [(DROP, DROP.replace("= trace", "= 100 * (trace") + ")")]},
    ),
    "h_ta_compat_same": mistake(
        "is_compatible(v2, v2)",
        "track_answer",
        edit={TA: [(COMPAT, "compatible_after_upgrade = is_compatible(v2, v2)")]},
    ),
    "h_ta_fingerprint_v2": mistake(
        "fingerprint of the 2.0.0 contract",
        "track_answer",
        edit={TA: [(FP, "fingerprint_v1 = schema_fingerprint(v2)")]},
    ),
    "h_ta_skew_serving_v1": mistake(
        "skew computed against the wrong tables (2.0.0 serving vs itself)",
        "track_answer",
        edit={TA: [(SKEW, "skew_v2 = feature_skew(serving_v2, serving_v2)")]},
    ),
    # ---- precision_skew ----------------------------------------------------------------------------------------
    "h_ps_levels_not_gaps": mistake(
        "2^b steps instead of 2^b - 1",
        "precision_skew",
        edit={QE: [(INT_RET, "return float((high - low) / (2 * 2**bits))")]},
    ),
    "h_ps_no_half": mistake(
        "a whole step, not half", "precision_skew", edit={QE: [(INT_RET, "return float((high - low) / (2**bits - 1))")]}
    ),
    "h_ps_mantissa_m": mistake(
        "2^-m instead of 2^-(m+1)",
        "precision_skew",
        edit={QE: [(FP_RET, "return float(max(abs(low), abs(high)) * 2.0 ** -mantissa)")]},
    ),
    "h_ps_float_range": mistake(
        "float error on the range width, not the largest magnitude",
        "precision_skew",
        edit={QE: [(FP_RET, "return float((high - low) * 2.0 ** -(mantissa + 1))")]},
    ),
    "h_ps_int8_only": mistake(
        "8 bits hard-coded for every int format",
        "precision_skew",
        edit={QE: [("bits = int(precision[3:])", "bits = 8")]},
    ),
    "h_ps_variance": mistake(
        "divides by the variance", "precision_skew", edit={QE: [(PSKEW, PSKEW.replace("column.std()", "column.var()"))]}
    ),
    "h_ps_ddof1": mistake(
        "sample standard deviation (ddof=1) instead of np.std",
        "precision_skew",
        edit={QE: [(PSKEW, PSKEW.replace("column.std()", "column.std(ddof=1)"))]},
    ),
    "h_ps_not_normalised": mistake(
        "not in units of the standard deviation",
        "precision_skew",
        edit={QE: [(PSKEW, PSKEW.replace(" / column.std()", ""))]},
    ),
    "h_ps_second_feature": mistake(
        "features[1] instead of features[0]",
        "precision_skew",
        edit={QE: [("first = scenario.features[0]", "first = scenario.features[1]")]},
    ),
    "h_ps_serving_table": mistake(
        "range and std of the 2.0.0 serving table",
        "precision_skew",
        edit={
            QE: [
                (
                    "column = np.asarray(snapshot_v1[first], dtype=float)",
                    "column = np.asarray(serving_v2[first], dtype=float)",
                )
            ]
        },
    ),
    "h_ps_fp16_as_fp32": mistake(
        "fp16 with the fp32 mantissa (23)",
        "precision_skew",
        edit={QE: [('{"fp32": 23, "fp16": 10}', '{"fp32": 23, "fp16": 23}')]},
    ),
    # ---- alternatives ------------------------------------------------------------------------------------------
    "h_alt_sf_tuples": alternative(
        "feature pairs as tuples (json writes them as lists)",
        edit={SF: [(PAIRS, 'pairs = [(str(a), str(b)) for a, b in contract["features"]]')]},
    ),
    "h_alt_sf_explicit": alternative(
        "ensure_ascii spelled out, digest kept in a variable",
        edit={
            SF: [
                (DUMPS, DUMPS[:-1] + ", ensure_ascii=True)"),
                (HEX, 'digest = hashlib.sha256(text.encode("utf-8"))\n    return digest.hexdigest()'),
            ]
        },
    ),
    "h_alt_ic_bool": alternative(
        "bool(...) and a helper variable",
        edit={
            IC: [
                (
                    "return schema_fingerprint(trained_on) == schema_fingerprint(serving)",
                    "same = schema_fingerprint(trained_on) == schema_fingerprint(serving)\n    return bool(same)",
                )
            ]
        },
    ),
    "h_alt_cd_helper": alternative("a normalising helper shared by the diff", replace={CD: DIFF_HELPER}),
    "h_alt_psi_loop": alternative(
        "counts by a loop over bins, a smoothing helper, log(a) - log(e)", replace={PSI: PSI_LOOP}
    ),
    "h_alt_psi_numpy_float": alternative(
        "PSI returned as np.float64",
        edit={PSI: [("return float(np.sum((a - e) * np.log(a / e)))", "return np.sum((a - e) * np.log(a / e))")]},
    ),
    "h_alt_fs_loop": alternative(
        "an explicit loop over the training columns",
        edit={
            FS: [
                (
                    "return {name: psi_from_samples(train[name], serving[name], bins=bins)"
                    " for name in train if name in serving}",
                    "out = {}\n    for name in list(train.keys()):\n"
                    "        if name in serving:\n"
                    "            out[name] = psi_from_samples(train[name], serving[name], bins)\n"
                    "    return out",
                )
            ]
        },
    ),
    "h_alt_skewed_items": alternative(
        "skewed from sorted items",
        edit={
            TA: [
                (SKEWED, "skewed = [n for n, v in sorted(skew_v2.items(), key=lambda kv: (-kv[1], kv[0])) if v > 0.2]")
            ]
        },
    ),
    "h_alt_drop_numpy": alternative(
        "accuracy_drop as np.float64",
        edit={TA: [(DROP, 'accuracy_drop = np.float64(trace["1.0.0"]["frozen"]) - trace["2.0.0"]["frozen"]')]},
    ),
    "h_alt_qe_regex": alternative("regex for the bits, np.ldexp for the float formats", replace={QE: QE_REGEX}),
    "h_alt_ps_np_std": alternative(
        "np.ptp-free np.min/np.max/np.std spelling",
        edit={
            QE: [
                (
                    PSKEW,
                    "precision_skew = quantization_error(np.min(column), np.max(column),"
                    " track.deployment.precision) / np.std(column)",
                )
            ]
        },
    ),
    "h_alt_black": alternative("magics and Black continuation lines", insert=BLACK_CELL),
    "h_alt_prints": alternative(
        "extra prints", edit={TA: [(DROP, DROP + "\nprint(skew_v2)\nprint(contract_diff(v2, v1))")]}
    ),
    "h_alt_track_cloud": alternative("the cloud_titan track", track="cloud_titan"),
    "h_alt_track_mobile": alternative("the mobile_nomad track", track="mobile_nomad"),
    "h_alt_track_tiny": alternative("the tiny_pioneer track", track="tiny_pioneer"),
}

MUTANTS["h_ta_skewed_threshold"]["known_survivor"] = (
    "heldout: no feature of edge_guardian has a PSI between 0.1 and 0.2, so the wrong threshold in the track cell "
    "gives the right list there; the threshold is an expression in the student's track cell, not a function the "
    "suite can call on other inputs (it would need the cell re-run with other data)"
)
