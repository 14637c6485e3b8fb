"""Facts and synonym sets: the values and words articles share, changed with `If-Match`."""

from __future__ import annotations

from collections.abc import Sequence

from istok_client import models
from istok_client.calls import Parts, endpoint
from istok_client.operations.common import Base, if_match, present
from istok_client.parsing import TAGGED, Json, JsonList, NoContent, NoContentOr


class FactOperations:
    """Facts and synonym sets (editors)."""

    @endpoint("GET", "/api/v1/facts", parse=JsonList(models.Fact))
    def list_facts(self) -> Parts:
        """Every fact (`{{ support_phone }}` …) with its typed value and per-locale values."""
        return Parts()

    @endpoint("GET", "/api/v1/facts/{key}", parse=Json(models.Fact, extra=TAGGED))
    def get_fact(self, key: str) -> Parts:
        """One fact and the `etag` a change sends back."""
        return Parts(path={"key": key})

    @endpoint("PUT", "/api/v1/facts/{key}", parse=Json(models.Fact, extra=TAGGED), headers=("If-None-Match",))
    def create_fact(
        self, key: str, *, type: str, value: models.FactValue, locales: dict[str, models.FactValue] | None = None
    ) -> Parts:
        """A new fact of `type` (text, phone, money, url, date, number); 412 if it exists already."""
        return Parts(
            path={"key": key}, headers={"If-None-Match": "*"}, json=present(type=type, value=value, locales=locales)
        )

    @endpoint(
        "PUT", "/api/v1/facts/{key}", parse=Json(models.Fact, extra=TAGGED), headers=("If-Match",), query=("emergency",)
    )
    def update_fact(
        self,
        key: str,
        *,
        type: str,
        value: models.FactValue,
        base: Base,
        locales: dict[str, models.FactValue] | None = None,
        emergency: bool = False,
    ) -> Parts:
        """Change a fact based on `base`; every published article using it is published again.

        Under a `facts` workflow the server answers 202 with a proposal instead (see
        `list_fact_proposals`), unless `emergency` from someone allowed to publish directly.
        """
        return Parts(
            path={"key": key},
            headers=if_match(base),
            query={"emergency": "true" if emergency else None},
            json=present(type=type, value=value, locales=locales),
        )

    @endpoint(
        "DELETE",
        "/api/v1/facts/{key}",
        parse=NoContentOr(models.FactProposal),
        headers=("If-Match",),
        query=("emergency",),
    )
    def delete_fact(self, key: str, *, base: Base, emergency: bool = False) -> Parts:
        """Delete a fact no article uses (409 if one does); None once it is gone.

        Under a `facts` workflow the server answers 202 with the proposal to delete it instead
        (returned; see `list_fact_proposals`), unless `emergency` from someone allowed to publish
        directly (audited).
        """
        return Parts(path={"key": key}, headers=if_match(base), query={"emergency": "true" if emergency else None})

    @endpoint("GET", "/api/v1/facts/{key}/versions", parse=JsonList(models.FactVersion))
    def list_fact_versions(self, key: str) -> Parts:
        """Every value the fact has had, with author and time."""
        return Parts(path={"key": key})

    @endpoint("GET", "/api/v1/fact-proposals", parse=JsonList(models.FactProposal), query=("state",))
    def list_fact_proposals(self, *, state: str = "pending") -> Parts:
        """Fact changes under the `facts` workflow: pending (default), changes_requested or applied."""
        return Parts(query={"state": state})

    @endpoint("GET", "/api/v1/fact-proposals/{proposal_id}", parse=Json(models.FactProposal))
    def get_fact_proposal(self, proposal_id: int) -> Parts:
        """One proposal with its approvals and steps."""
        return Parts(path={"proposal_id": proposal_id})

    @endpoint("POST", "/api/v1/fact-proposals/{proposal_id}/approve", parse=Json(models.FactProposal))
    def approve_fact_proposal(self, proposal_id: int, *, comment: str = "") -> Parts:
        """Approve exactly the proposed value (403 for its proposer or a non-reviewer)."""
        return Parts(path={"proposal_id": proposal_id}, json={"comment": comment})

    @endpoint("POST", "/api/v1/fact-proposals/{proposal_id}/request-changes", parse=Json(models.FactProposal))
    def request_fact_changes(self, proposal_id: int, *, comment: str) -> Parts:
        """Send it back saying what should change; the proposal is withdrawn."""
        return Parts(path={"proposal_id": proposal_id}, json={"comment": comment})

    @endpoint("POST", "/api/v1/fact-proposals/{proposal_id}/apply", parse=Json(models.FactProposal))
    def apply_fact_proposal(self, proposal_id: int) -> Parts:
        """Make an approved proposal live (409 without approvals or if the fact moved meanwhile)."""
        return Parts(path={"proposal_id": proposal_id})

    @endpoint("GET", "/api/v1/synonyms", parse=JsonList(models.SynonymSet), query=("locale",))
    def list_synonyms(self, *, locale: str | None = None) -> Parts:
        """The editors' synonym sets that search expands queries with."""
        return Parts(query={"locale": locale})

    @endpoint("POST", "/api/v1/synonyms", parse=Json(models.SynonymSet, extra=TAGGED))
    def create_synonyms(self, locale: str, terms: Sequence[str]) -> Parts:
        """A new synonym set: words search should treat as one."""
        return Parts(json={"locale": locale, "terms": list(terms)})

    @endpoint("GET", "/api/v1/synonyms/{set_id}", parse=Json(models.SynonymSet, extra=TAGGED))
    def get_synonyms(self, set_id: int) -> Parts:
        """One synonym set and the `etag` a change sends back."""
        return Parts(path={"set_id": set_id})

    @endpoint("PUT", "/api/v1/synonyms/{set_id}", parse=Json(models.SynonymSet, extra=TAGGED), headers=("If-Match",))
    def update_synonyms(self, set_id: int, terms: Sequence[str], *, base: Base) -> Parts:
        """Replace a set's terms, based on `base`."""
        return Parts(path={"set_id": set_id}, headers=if_match(base), json={"terms": list(terms)})

    @endpoint("DELETE", "/api/v1/synonyms/{set_id}", parse=NoContent(), headers=("If-Match",))
    def delete_synonyms(self, set_id: int, *, base: Base) -> Parts:
        """Delete a synonym set, based on `base`."""
        return Parts(path={"set_id": set_id}, headers=if_match(base))
