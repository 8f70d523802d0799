"""Ensemble Lockdown: mistakes and acceptable alternatives, written from the notebook's text."""

from . import BLACK_CELL, alternative, mistake

FP = "def schema_fingerprint("
COMPAT = "def is_compatible("
DIFF = "def contract_diff("
PFS = "def psi_from_samples("
SKEW = "def feature_skew("
TRACK = "contracts = extractor_contracts(track)"
QUANT = "def quantization_error("
DUMPS = 'json.dumps(canonical, sort_keys=True, separators=(",", ":"))'
SKEWED = "skewed = sorted((n for n, v in skew_v2.items() if v > 0.2), key=lambda n: (-skew_v2[n], n))"

MUTANTS = {
    # -- schema_fingerprint ------------------------------------------------------------------------------------
    "fp_unsorted_keys": mistake(
        "json.dumps without sort_keys",
        "schema_fingerprint",
        edit={FP: [(DUMPS, 'json.dumps(canonical, separators=(",", ":"))')]},
    ),
    "fp_default_separators": mistake(
        "json.dumps with its default separators (spaces)",
        "schema_fingerprint",
        edit={FP: [(DUMPS, "json.dumps(canonical, sort_keys=True)")]},
    ),
    "fp_md5": mistake("MD5 instead of SHA-256", "schema_fingerprint", edit={FP: [("hashlib.sha256(", "hashlib.md5(")]}),
    "fp_sorted_features": mistake(
        "features sorted by name (the order matters)",
        "schema_fingerprint",
        edit={FP: [('for item in contract["features"]]', 'for item in sorted(contract["features"])]')]},
    ),
    "fp_features_as_dict": mistake(
        "features normalised to a dict name -> dtype: sort_keys then loses their order",
        "schema_fingerprint",
        edit={
            FP: [
                (
                    '[[str(item[0]), str(item[1])] for item in contract["features"]]',
                    '{str(item[0]): str(item[1]) for item in contract["features"]}',
                )
            ]
        },
    ),
    "fp_missing_version_none": mistake(
        'a missing version becomes None instead of ""',
        "schema_fingerprint",
        edit={FP: [('"version": str(contract.get("version", ""))', '"version": contract.get("version")')]},
    ),
    "fp_params_dropped": mistake(
        "params left out of the fingerprint",
        "schema_fingerprint",
        edit={FP: [('        "params": dict(contract.get("params", {})),\n', "")]},
    ),
    "fp_whole_contract": mistake(
        "the raw contract serialised (no normalisation)",
        "schema_fingerprint",
        edit={FP: [("json.dumps(canonical,", "json.dumps(contract,")]},
    ),
    "fp_hash_builtin": mistake(
        "Python's hash() of the text",
        "schema_fingerprint",
        edit={
            FP: [
                (
                    'return hashlib.sha256(text.encode("utf-8")).hexdigest()',
                    "return format(hash(text) & (2**256 - 1), '064x')",
                )
            ]
        },
    ),
    # -- is_compatible -----------------------------------------------------------------------------------------
    "compat_same_names": mistake(
        "compatible when the feature names match",
        "is_compatible",
        edit={
            COMPAT: [
                (
                    "return schema_fingerprint(trained_on) == schema_fingerprint(serving)",
                    "return [f[0] for f in trained_on['features']] == [f[0] for f in serving['features']]",
                )
            ]
        },
    ),
    "compat_version_only": mistake(
        "compatible when the versions match",
        "is_compatible",
        edit={
            COMPAT: [
                (
                    "return schema_fingerprint(trained_on) == schema_fingerprint(serving)",
                    "return trained_on.get('version') == serving.get('version')",
                )
            ]
        },
    ),
    "compat_dict_equality": mistake(
        "raw dict equality (tuples vs lists, missing fields differ)",
        "is_compatible",
        edit={
            COMPAT: [
                ("return schema_fingerprint(trained_on) == schema_fingerprint(serving)", "return trained_on == serving")
            ]
        },
    ),
    "compat_inverted": mistake("True when the fingerprints differ", "is_compatible", edit={COMPAT: [("==", "!=")]}),
    # -- contract_diff -----------------------------------------------------------------------------------------
    "diff_missing_not_empty": mistake(
        'version_changed on raw fields: a missing version differs from ""',
        "contract_diff",
        edit={
            DIFF: [
                (
                    'return str(c.get("extractor", "")), str(c.get("version", ""))',
                    'return c.get("extractor"), c.get("version")',
                )
            ]
        },
    ),
    "diff_version_only": mistake(
        "version_changed ignores the extractor",
        "contract_diff",
        edit={
            DIFF: [
                ('return str(c.get("extractor", "")), str(c.get("version", ""))', 'return str(c.get("version", ""))')
            ]
        },
    ),
    "diff_extra_sorted": mistake(
        "extra names sorted, not in serving order",
        "contract_diff",
        edit={
            DIFF: [
                (
                    '"extra": [name for name in new if name not in old]',
                    '"extra": sorted(name for name in new if name not in old)',
                )
            ]
        },
    ),
    "diff_missing_extra_swapped": mistake(
        "missing and extra swapped",
        "contract_diff",
        edit={
            DIFF: [
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
    "diff_reordered_all": mistake(
        "reordered compares all names, not the shared ones",
        "contract_diff",
        edit={DIFF: [('"reordered": shared_old != shared_new', '"reordered": list(old) != list(new)')]},
    ),
    "diff_sets": mistake(
        "lists built from sets (order lost)",
        "contract_diff",
        edit={
            DIFF: [
                ('"missing": [name for name in old if name not in new]', '"missing": list(set(old) - set(new))'),
                ('"extra": [name for name in new if name not in old]', '"extra": list(set(new) - set(old))'),
            ]
        },
    ),
    "diff_dtype_all": mistake(
        "dtype_changed lists every shared name",
        "contract_diff",
        edit={DIFF: [("[name for name in shared_old if old[name] != new[name]]", "shared_old")]},
    ),
    # -- psi_from_samples --------------------------------------------------------------------------------------
    "pfs_no_smoothing": mistake(
        "no empty-bin smoothing: an empty bin makes PSI inf or NaN, and a feature_skew or skewed computed from an "
        "inf or NaN is never carried forward",
        {"psi_from_samples", "feature_skew", "track_answer"},
        edit={
            PFS: [
                (
                    "        if (p == 0).any():\n            p = np.where(p == 0, eps, p)\n"
                    "            p = p / p.sum()\n",
                    "",
                )
            ]
        },
    ),
    "pfs_equal_width": mistake(
        "equal-width bins",
        {"psi_from_samples", "feature_skew", "track_answer"},
        edit={
            PFS: [
                (
                    "edges = np.unique(np.quantile(train, np.linspace(0, 1, bins + 1)))",
                    "edges = np.unique(np.linspace(train.min(), train.max(), bins + 1))",
                )
            ]
        },
    ),
    "pfs_constant_one_bin": mistake(
        "inner = edges[1:-1] always (constant training data: one bin)",
        "psi_from_samples",
        edit={PFS: [("inner = edges[1:-1] if len(edges) >= 3 else edges[:1]", "inner = edges[1:-1]")]},
    ),
    "pfs_smooth_without_renormalising": mistake(
        "zeros replaced by eps, not renormalised",
        "psi_from_samples",
        edit={
            PFS: [
                (
                    "            p = np.where(p == 0, eps, p)\n            p = p / p.sum()\n",
                    "            p = np.where(p == 0, eps, p)\n",
                )
            ]
        },
    ),
    "pfs_side_left_and_no_unique": mistake(
        "np.unique dropped: tied edges make duplicate bins",
        "psi_from_samples",
        edit={
            PFS: [
                (
                    "np.unique(np.quantile(train, np.linspace(0, 1, bins + 1)))",
                    "np.quantile(train, np.linspace(0, 1, bins + 1))",
                )
            ]
        },
    ),
    # -- feature_skew ------------------------------------------------------------------------------------------
    "skew_serving_order": mistake(
        "features in serving order",
        "feature_skew",
        edit={SKEW: [("for name in train if name in serving", "for name in serving if name in train")]},
    ),
    "skew_ignores_bins": mistake(
        "bins not passed on (always 10)",
        "feature_skew",
        edit={
            SKEW: [
                (
                    "psi_from_samples(train[name], serving[name], bins=bins)",
                    "psi_from_samples(train[name], serving[name])",
                )
            ]
        },
    ),
    "skew_sorted_names": mistake(
        "features sorted by name",
        "feature_skew",
        edit={SKEW: [("for name in train if name in serving", "for name in sorted(train) if name in serving")]},
    ),
    "skew_swapped": mistake(
        "PSI of serving against training bins (train and serving swapped)",
        "feature_skew",
        edit={
            SKEW: [
                (
                    "psi_from_samples(train[name], serving[name], bins=bins)",
                    "psi_from_samples(serving[name], train[name], bins=bins)",
                )
            ]
        },
    ),
    # -- track answers -----------------------------------------------------------------------------------------
    "skewed_ge": mistake(
        "skewed sorted by name only",
        "track_answer",
        edit={TRACK: [(SKEWED, "skewed = sorted(n for n, v in skew_v2.items() if v > 0.2)")]},
    ),
    "skewed_ascending": mistake(
        "skewed from the smallest PSI up",
        "track_answer",
        edit={TRACK: [("key=lambda n: (-skew_v2[n], n)", "key=lambda n: (skew_v2[n], n)")]},
    ),
    "accuracy_drop_sign": mistake(
        "accuracy_drop as 2.0.0 minus 1.0.0",
        "track_answer",
        edit={
            TRACK: [
                (
                    'accuracy_drop = trace["1.0.0"]["frozen"] - trace["2.0.0"]["frozen"]',
                    'accuracy_drop = trace["2.0.0"]["frozen"] - trace["1.0.0"]["frozen"]',
                )
            ]
        },
    ),
    "accuracy_drop_retrained": mistake(
        "accuracy_drop against the retrained classifier",
        "track_answer",
        edit={TRACK: [('trace["2.0.0"]["frozen"]', 'trace["2.0.0"]["retrained"]')]},
    ),
    "fingerprint_v2": mistake(
        "fingerprint_v1 of the 2.0.0 contract",
        "track_answer",
        edit={TRACK: [("fingerprint_v1 = schema_fingerprint(v1)", "fingerprint_v1 = schema_fingerprint(v2)")]},
    ),
    "skew_wrong_snapshot": mistake(
        "skew against the 2.0.0 training snapshot",
        "track_answer",
        edit={
            TRACK: [
                (
                    "skew_v2 = feature_skew(snapshot_v1, serving_v2)",
                    "skew_v2 = feature_skew(feature_table(track, 'train', '2.0.0'), serving_v2)",
                )
            ]
        },
    ),
    "hardcoded_track_answers": mistake(
        "schema_fingerprint left unfinished, fingerprint_v1 typed in",
        {"schema_fingerprint", "is_compatible", "track_answer"},
        edit={
            FP: [("    pairs = [[str(item[0])", '    return "0" * 64\n    pairs = [[str(item[0])')],
            TRACK: [
                (
                    "fingerprint_v1 = schema_fingerprint(v1)",
                    'fingerprint_v1 = "77817e0007967b8c1b3005fb4538b4c731c31eeb41ae1cc8179144bff156a2b4"',
                )
            ],
        },
    ),
    # -- precision_skew ----------------------------------------------------------------------------------------
    "quant_levels_not_steps": mistake(
        "2^b levels instead of 2^b - 1 steps",
        "precision_skew",
        edit={QUANT: [("(2 * (2**bits - 1))", "(2 * 2**bits)")]},
    ),
    "quant_full_step": mistake(
        "a full step instead of half",
        "precision_skew",
        edit={QUANT: [("(high - low) / (2 * (2**bits - 1))", "(high - low) / (2**bits - 1)")]},
    ),
    "quant_fp16_mantissa_11": mistake(
        "FP16 with 11 mantissa bits",
        "precision_skew",
        edit={QUANT: [('{"fp32": 23, "fp16": 10}', '{"fp32": 23, "fp16": 11}')]},
    ),
    "quant_no_plus_one": mistake(
        "2^-m instead of 2^-(m+1)", "precision_skew", edit={QUANT: [("2.0 ** -(mantissa + 1)", "2.0 ** -mantissa")]}
    ),
    "quant_int8_only": mistake(
        "every integer format treated as int8",
        "precision_skew",
        edit={QUANT: [("bits = int(precision[3:])", "bits = 8")]},
    ),
    "precision_skew_variance": mistake(
        "in units of the variance instead of the standard deviation",
        "precision_skew",
        edit={QUANT: [("/ column.std()", "/ column.var()")]},
    ),
    "precision_skew_last_feature": mistake(
        "the last feature instead of the first",
        "precision_skew",
        edit={QUANT: [("first = scenario.features[0]", "first = scenario.features[-1]")]},
    ),
    "prediction_blank": mistake("prediction left blank", "prediction", replace={"PREDICTION =": "PREDICTION = ...\n"}),
    # -- alternatives ---------------------------------------------------------------------------------------
    "magic_cell": alternative("a cell of magics and operator continuation lines", insert=BLACK_CELL),
    "percentile_edges": alternative(
        "np.percentile instead of np.quantile (ties may change sides)",
        edit={
            PFS: [
                (
                    "np.quantile(train, np.linspace(0, 1, bins + 1))",
                    "np.percentile(train, np.linspace(0, 100, bins + 1))",
                )
            ]
        },
    ),
    "fp_keys_in_order": alternative(
        "the normalised dict built in alphabetical key order",
        replace={
            FP: """def schema_fingerprint(contract):
    normalised = {
        "extractor": str(contract.get("extractor", "")),
        "features": [[str(name), str(dtype)] for name, dtype in contract["features"]],
        "params": dict(contract.get("params", {})),
        "version": str(contract.get("version", "")),
    }
    text = json.dumps(normalised, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
"""
        },
    ),
    "compat_numpy_bool": alternative(
        "is_compatible returns np.bool_",
        edit={
            COMPAT: [
                (
                    "return schema_fingerprint(trained_on) == schema_fingerprint(serving)",
                    "return np.bool_(schema_fingerprint(trained_on) == schema_fingerprint(serving))",
                )
            ]
        },
    ),
    "diff_tuple_lists": alternative(
        "contract_diff with np.bool_ flags",
        edit={DIFF: [('"reordered": shared_old != shared_new', '"reordered": np.bool_(shared_old != shared_new)')]},
    ),
    "pfs_numpy_float": alternative(
        "psi_from_samples returns np.float64",
        edit={PFS: [("return float(np.sum((a - e) * np.log(a / e)))", "return np.sum((a - e) * np.log(a / e))")]},
    ),
    "skew_dataframe_columns": alternative(
        "feature_skew iterating over the training columns explicitly",
        replace={
            SKEW: """def feature_skew(train, serving, bins=10):
    names = list(train.columns) if hasattr(train, "columns") else list(train.keys())
    shared = set(serving.columns) if hasattr(serving, "columns") else set(serving.keys())
    out = {}
    for name in names:
        if name in shared:
            out[name] = psi_from_samples(np.asarray(train[name]), np.asarray(serving[name]), bins)
    return out
"""
        },
    ),
    "skewed_tuple": alternative(
        "skewed as a list built with a loop",
        edit={
            TRACK: [
                (SKEWED, "skewed = [n for n in sorted(skew_v2, key=lambda n: (-skew_v2[n], n)) if skew_v2[n] > 0.2]")
            ]
        },
    ),
    "quant_numpy": alternative(
        "quantization_error with np.float64 and np.abs",
        edit={
            QUANT: [
                (
                    "return float(max(abs(low), abs(high)) * 2.0 ** -(mantissa + 1))",
                    "return np.maximum(np.abs(low), np.abs(high)) * 2.0 ** -(mantissa + 1)",
                ),
                (
                    "return float((high - low) / (2 * (2**bits - 1)))",
                    "return np.float64(high - low) / (2 * (2**bits - 1))",
                ),
            ]
        },
    ),
    "other_track": alternative("the Cloud Titan track", track="cloud_titan"),
}
