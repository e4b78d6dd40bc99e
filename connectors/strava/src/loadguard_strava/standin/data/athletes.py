"""Athletes and their shoes, with the SummaryAthlete/DetailedAthlete and gear JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .formats import JSON, iso_z


@dataclass
class Shoe:
    id: str
    name: str
    nickname: str = ""
    base_distance: float = 0.0
    primary: bool = False
    retired: bool = False
    brand_name: str = ""
    model_name: str = ""
    description: str = ""

    def summary(self, distance: float, *, resource_state: int = 2) -> JSON:
        return {
            "id": self.id,
            "primary": self.primary,
            "name": self.name,
            "nickname": self.nickname,
            "resource_state": resource_state,
            "retired": self.retired,
            "distance": round(distance, 1),
            "converted_distance": round(distance / 1000.0, 1),
        }

    def detailed(self, distance: float) -> JSON:
        return {
            **self.summary(distance, resource_state=3),
            "brand_name": self.brand_name,
            "model_name": self.model_name,
            "description": self.description,
        }


def default_shoes(athlete_id: int) -> list[Shoe]:
    return [
        Shoe(
            id=f"g{athlete_id}01",
            name="Nike Pegasus 40",
            nickname="Daily trainer",
            base_distance=412_300.0,
            primary=True,
            brand_name="Nike",
            model_name="Pegasus 40",
        ),
        Shoe(
            id=f"g{athlete_id}02",
            name="Hoka Clifton 8",
            nickname="Old Cliftons",
            base_distance=812_000.0,
            retired=True,
            brand_name="Hoka",
            model_name="Clifton 8",
        ),
    ]


def shoe_from_dict(athlete_id: int, index: int, raw: dict[str, Any]) -> Shoe:
    """A shoe from a test's dict: keys as in Strava's JSON (``distance`` in metres)."""
    return Shoe(
        id=str(raw.get("id", f"g{athlete_id}{index + 1:02d}")),
        name=str(raw.get("name", f"Shoe {index + 1}")),
        nickname=str(raw.get("nickname", "")),
        base_distance=float(raw.get("distance", 0.0)),
        primary=bool(raw.get("primary", index == 0)),
        retired=bool(raw.get("retired", False)),
        brand_name=str(raw.get("brand_name", "")),
        model_name=str(raw.get("model_name", "")),
        description=str(raw.get("description", "")),
    )


@dataclass
class Athlete:
    id: int
    firstname: str
    lastname: str
    shoes: list[Shoe]
    tz: str = "Europe/Copenhagen"
    home: tuple[float, float] = (55.6761, 12.5683)
    city: str = "Copenhagen"
    state: str = "Capital Region of Denmark"
    country: str = "Denmark"
    sex: str = "F"
    weight: float = 61.5
    created_at: datetime = field(
        default_factory=lambda: datetime(2019, 4, 2, 18, 4, 11, tzinfo=UTC)
    )

    def summary(self) -> JSON:
        """SummaryAthlete, as in the token exchange and for tokens without profile:read_all."""
        pictures = f"https://dgalywyr863hv.cloudfront.net/pictures/athletes/{self.id}/{self.id}/2"
        return {
            "id": self.id,
            "username": f"{self.firstname}{self.lastname}".lower(),
            "resource_state": 2,
            "firstname": self.firstname,
            "lastname": self.lastname,
            "bio": "",
            "city": self.city,
            "state": self.state,
            "country": self.country,
            "sex": self.sex,
            "premium": True,
            "summit": True,
            "created_at": iso_z(self.created_at),
            "updated_at": iso_z(self.created_at + timedelta(days=2400)),
            "badge_type_id": 1,
            "weight": self.weight,
            "profile_medium": f"{pictures}/medium.jpg",
            "profile": f"{pictures}/large.jpg",
            "friend": None,
            "follower": None,
        }

    def detailed(self, shoe_distance: dict[str, float]) -> JSON:
        """DetailedAthlete (profile:read_all): with shoes including Strava's extra fields."""
        return {
            **self.summary(),
            "resource_state": 3,
            "blocked": False,
            "can_follow": True,
            "follower_count": 12,
            "friend_count": 15,
            "mutual_friend_count": 0,
            "athlete_type": 1,
            "date_preference": "%m/%d/%Y",
            "measurement_preference": "meters",
            "clubs": [],
            "postable_clubs_count": 0,
            "ftp": None,
            "bikes": [],
            "shoes": [s.summary(shoe_distance.get(s.id, s.base_distance)) for s in self.shoes],
        }
