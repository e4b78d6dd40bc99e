"""`loadguard osm fetch`: find the region extract that covers a runner's GPS tracks in an
extract server's region index (Geofabrik's layout by default, ``[maps] index_url``),
download it, build its surface index, and work out the surfaces of the stored runs again.

Nothing already there is touched until a download is complete and its index built: a
server that is down, a download that ends early or an extract that is damaged leaves
the maps as they were.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urljoin

import numpy as np
import requests

from loadguard import settings
from loadguard.app import service
from loadguard.contract import Athlete, ConnectorError, NotAnActivity
from loadguard.sources import registry
from loadguard.sources.normalise import activities_of
from loadguard.store import activities as stored
from loadguard.store import maps
from loadguard.store.db import Store, StoreError
from loadguard.surfaces.osm.regions import Region, RegionIndexError, covering, parse_index

# Points per run looked up in the index, and the grid they are rounded to (~1 km): a
# runner's tracks shrink to a few dozen points however many runs there are.
POINTS_PER_RUN = 20
GRID_DEG = 0.01
CHUNK = 1 << 20

# (region, bytes so far, bytes in all or None) while a download runs
Progress = Callable[[Region, int, int | None], None]


class FetchError(Exception):
    """What stopped a fetch, naming the server, the region or the file, and why."""


@dataclass
class Fetched:
    regions: list[Region] = field(default_factory=list)  # downloaded and indexed
    kept: list[Region] = field(default_factory=list)  # indexed before, not downloaded again
    bytes: int = 0
    runs_recomputed: int = 0
    status: str = ""


def track_points(store: Store, athlete: Athlete) -> list[tuple[float, float]]:
    """(lon, lat) points along the athlete's stored runs, rounded to a ~1 km grid."""
    seen: set[tuple[float, float]] = set()
    for _raw_id, raw in stored.raw_records(store, athlete.id):
        try:
            activities = activities_of(raw)
        except (NotAnActivity, ConnectorError, registry.UnknownConnector):
            continue
        for activity in activities:
            lat = activity.streams.get("lat") if activity.streams else None
            lon = activity.streams.get("lon") if activity.streams else None
            if lat is None or lon is None:
                continue
            ok = np.isfinite(lat) & np.isfinite(lon)
            if not ok.any():
                continue
            pick = np.linspace(0, int(ok.sum()) - 1, POINTS_PER_RUN).astype(int)
            for y, x in zip(lat[ok][pick], lon[ok][pick], strict=True):
                seen.add(
                    (round(float(x) / GRID_DEG) * GRID_DEG, round(float(y) / GRID_DEG) * GRID_DEG)
                )
    return sorted(seen)


def region_index(url: str, timeout: float) -> list[Region]:
    try:
        answer = requests.get(url, timeout=timeout)
    except requests.RequestException as exc:
        raise FetchError(f"cannot reach the map server for {url}: {_reason(exc)}") from None
    if answer.status_code != 200:
        raise FetchError(f"the map server answered {answer.status_code} for {url}")
    try:
        regions = parse_index(answer.json())
    except json.JSONDecodeError:
        raise FetchError(f"the region index at {url} is not JSON") from None
    except RegionIndexError as exc:
        raise FetchError(f"the region index at {url}: {exc}") from None
    return [
        replace(r, pbf_url=urljoin(url, r.pbf_url)) for r in regions
    ]  # a mirror's relative URLs


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.ConnectionError):
        return "connection refused or no network"
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    return type(exc).__name__


def download(region: Region, target: Path, timeout: float, progress: Progress | None) -> int:
    """The region's extract into ``target``, whole or not at all; returns its bytes."""
    part = target.with_name(target.name + ".part")
    done, total = 0, None
    try:
        with requests.get(region.pbf_url, stream=True, timeout=timeout) as answer:
            if answer.status_code != 200:
                raise FetchError(
                    f"the map server answered {answer.status_code} for {region.pbf_url}"
                )
            size = answer.headers.get("Content-Length")
            total = int(size) if size and size.isdigit() else None
            with part.open("wb") as fh:
                for chunk in answer.iter_content(CHUNK):
                    fh.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(region, done, total)
    except requests.exceptions.ChunkedEncodingError:
        part.unlink(missing_ok=True)
        got = f"{done:,} of {total:,}" if total else f"{done:,}"
        raise FetchError(f"the download of {region.name} ended early: {got} bytes") from None
    except requests.RequestException as exc:
        part.unlink(missing_ok=True)
        raise FetchError(
            f"the download of {region.name} ({region.pbf_url}) broke off: {_reason(exc)}"
        ) from None
    if total is not None and done != total:
        part.unlink(missing_ok=True)
        raise FetchError(f"the download of {region.name} ended early: {done:,} of {total:,} bytes")
    part.replace(target)
    return done


def fetch(
    store: Store,
    athlete: Athlete,
    *,
    refresh: bool = False,
    progress: Progress | None = None,
) -> Fetched:
    """Download and index the region(s) covering the athlete's runs; then their surfaces
    are worked out again and the guard runs. Raises FetchError."""
    conf = settings.current().maps
    points = track_points(store, athlete)
    if not points:
        raise FetchError(
            f"athlete {athlete.id!r} has no run with GPS yet: import runs first (a treadmill"
            " run or a watch without GPS has nothing to find on a map)"
        )
    regions = region_index(conf.index_url, conf.timeout_s)
    chosen = covering(regions, points)
    if not chosen:
        lon, lat = points[0]
        raise FetchError(
            f"no region in {conf.index_url} covers your runs (around {lat:.2f}, {lon:.2f})"
        )
    result = Fetched()
    with tempfile.TemporaryDirectory(dir=_downloads(store)) as tmp:
        for region in chosen:
            if maps.map_path(store, region.file_stem).exists() and not refresh:
                result.kept.append(region)
                continue
            pbf = Path(tmp) / f"{region.file_stem}.osm.pbf"
            result.bytes += download(region, pbf, conf.timeout_s, progress)
            try:
                maps.add_map(store, pbf, region.file_stem)
            except StoreError as exc:
                raise FetchError(f"{region.name} from {region.pbf_url}: {exc}") from None
            result.regions.append(region)
            pbf.unlink()
    if result.regions:
        result.runs_recomputed, _failed = service.recompute_surfaces(store, athlete)
    result.status = service.run_guard(store, athlete, "maps").status
    return result


def _downloads(store: Store) -> Path:
    """A folder beside the maps for downloads in progress (same disk: a rename, no copy)."""
    folder = maps.osm_dir(store) / ".downloads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
