"""The integrations repository: the monitoring tools' webhooks into an
account (found by id alone: the id is in the URL the tool posts to), and
what each received and refused."""
from chalicelib.store.dynamo import get, item_of, possible_key, put, record_of, update
from chalicelib.store.expect import ABSENT
from chalicelib.store.records import Integration

MAX_ERRORS = 10  # the newest errors an integration shows


class DynamoIntegrations:
    """The `integrations` table."""

    @staticmethod
    def _models():
        from chalicelib.store import models
        return models

    def add(self, integration: Integration) -> None:
        """A new integration; ConditionFailed when its id exists in the account."""
        put(item_of(integration, self._models().Integration), {"id": ABSENT})

    def get(self, account_id: str, integration_id: str) -> Integration | None:
        return record_of(get(self._models().Integration, account_id, integration_id), Integration)

    def by_id(self, integration_id: str) -> Integration | None:
        """An integration by its id alone (a delivery names only that)."""
        if not possible_key(integration_id):
            return None
        model = self._models().Integration
        return record_of(next(iter(model.by_id.query(integration_id, limit=1)), None), Integration)

    def of_account(self, account_id: str) -> list[Integration]:
        """The account's integrations (a few per account), by id."""
        return [record_of(item, Integration) for item in self._models().Integration.query(account_id)]

    def change(self, integration: Integration, changes: dict) -> None:
        """Set fields (None removes one) of an integration that exists; ConditionFailed when it is gone."""
        update(self._models().Integration(integration.account_id, integration.id), changes, {"id": integration.id})
        for name, value in changes.items():
            setattr(integration, name, value)

    def delete(self, integration: Integration) -> None:
        self._models().Integration(integration.account_id, integration.id).delete()

    def note_received(self, integration: Integration, at: str) -> None:
        """A delivery was taken: one more received, and when."""
        model = self._models().Integration
        item = model(integration.account_id, integration.id)
        item.update(actions=[model.received.add(1), model.last_received_at.set(at)],
                    condition=model.id.exists())
        integration.received, integration.last_received_at = int(item.received), at

    def note_error(self, integration: Integration, at: str, reason: str, refused: bool) -> None:
        """A delivery was turned away: the reason joins the newest errors (a
        refused credential also counts in `refused`)."""
        model = self._models().Integration
        errors = ((integration.errors or []) + [{"at": at, "reason": reason[:300]}])[-MAX_ERRORS:]
        actions = [model.errors.set(errors)] + ([model.refused.add(1)] if refused else [])
        item = model(integration.account_id, integration.id)
        item.update(actions=actions, condition=model.id.exists())
        integration.errors, integration.refused = errors, int(item.refused or 0)
