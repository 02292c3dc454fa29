"""Parity with Novu's server code for the subscriber operations (not the inbox): one rule of
Novu per test, black-box over HTTP, so it runs against the mock and against a real Novu alike.

Each docstring names the file of ``novuhq/novu`` that shows the rule (read in 2025-2026
versions; ``apps/api/src/app/...`` unless it says ``libs/...``). Everything a test creates has
an id starting with ``contract-`` and is deleted when the test ends.
"""

from __future__ import annotations

import uuid

import pytest

PREFIX = "contract-parity-"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _sid() -> str:
    return f"{PREFIX}{uuid.uuid4().hex[:12]}"


def _workflow_preferences(client, sid: str, criticality: str = "nonCritical") -> list[dict]:
    response = client.get(f"/v2/subscribers/{sid}/preferences", params={"criticality": criticality})
    assert response.status_code == 200, response.text
    return response.json()["data"]["workflows"]


def _base62(hex_id: str) -> str:
    number, digits = int(hex_id, 16), ""
    while number:
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
    return digits


# -- v2 search and CRUD -----------------------------------------------------------------------


def test_search_page_is_not_enveloped_again(client, subscribers) -> None:
    """subscribers-v2/usecases/list-subscribers/list-subscribers.usecase.ts returns {data, next,
    previous, ...}; shared/framework/response.interceptor.ts leaves an object with a `data` as it is."""
    subscribers()
    body = client.get("/v2/subscribers", params={"limit": 1}).json()
    assert {"data", "next", "previous", "totalCount", "totalCountCapped"} <= set(body)
    assert isinstance(body["data"], list) and len(body["data"]) == 1


# Novu's list takes any orderBy: libs/dal/src/repositories/subscriber/subscriber.repository.ts
# (listSubscribers hands it to findWithCursorBasedPagination as sortBy, the cursor's value read
# as subscriber[sortBy]) and libs/dal/src/repositories/base-repository.ts (the sort is
# {sortBy, _id}; a cursor keeps `sortBy` beyond its value, or equal with `_id` beyond its id).
SORT_SOURCE = "libs/dal/src/repositories/subscriber/subscriber.repository.ts, base-repository.ts"


def _named_set(subscribers, names: list[str | None]) -> tuple[str, dict[str | None, str]]:
    """Subscribers with the given first names (None: no first name), found by a shared email
    prefix: (that prefix, first name -> _id)."""
    token = f"contract-sort-{uuid.uuid4().hex[:10]}"
    ids = {}
    for index, name in enumerate(names):
        profile = {"email": f"{token}-{index}@example.com"} | ({"firstName": name} if name is not None else {})
        ids[name] = subscribers(**profile)["_id"]
    return token, ids


def _search(client, **params) -> dict:
    response = client.get("/v2/subscribers", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_any_field_orders_the_list_missing_values_first(client, subscribers) -> None:
    """SORT_SOURCE: `orderBy=firstName` sorts by the field, a subscriber without it as null
    (first ascending, last descending); orderDirection turns it round."""
    token, ids = _named_set(subscribers, ["b", None, "c", "a"])
    ascending = _search(client, email=token, orderBy="firstName", orderDirection="ASC")["data"]
    assert [item["_id"] for item in ascending] == [ids[None], ids["a"], ids["b"], ids["c"]]
    descending = _search(client, email=token, orderBy="firstName", orderDirection="DESC")["data"]
    assert [item["_id"] for item in descending] == [ids["c"], ids["b"], ids["a"], ids[None]]


def test_a_cursor_pages_through_any_field(client, subscribers) -> None:
    """SORT_SOURCE: `after` continues past the cursor in (firstName, _id) order, `before` reads
    back from it; next / previous name the page's ends while more lie beyond."""
    token, ids = _named_set(subscribers, ["b", "d", "c", "a"])
    query = {"email": token, "orderBy": "firstName", "orderDirection": "ASC", "limit": 2}
    first = _search(client, **query)
    assert [item["_id"] for item in first["data"]] == [ids["a"], ids["b"]]
    assert first["next"] == ids["b"] and first["previous"] is None
    second = _search(client, **query, after=first["next"])
    assert [item["_id"] for item in second["data"]] == [ids["c"], ids["d"]]
    assert second["next"] is None and second["previous"] == ids["c"]
    back = _search(client, **query, before=second["previous"])
    assert [item["_id"] for item in back["data"]] == [ids["a"], ids["b"]]
    assert back["next"] == ids["b"] and back["previous"] is None
    with_cursor = _search(client, **query, after=ids["b"], includeCursor="true")
    assert [item["_id"] for item in with_cursor["data"]] == [ids["b"], ids["c"]]


def test_past_a_cursor_with_a_value_subscribers_without_the_field_are_skipped(client, subscribers) -> None:
    """SORT_SOURCE: the cursor's condition compares the field with the cursor's value, and
    MongoDB compares only values of one type, so a subscriber without the field (null) is never
    beyond a cursor that has a value: reading back from "b" finds "a" only, and says nothing
    lies before it."""
    token, ids = _named_set(subscribers, ["b", None, "a"])
    query = {"email": token, "orderBy": "firstName", "orderDirection": "ASC", "limit": 2}
    assert [item["_id"] for item in _search(client, **query)["data"]] == [ids[None], ids["a"]]
    back = _search(client, **query, before=ids["b"])
    assert [item["_id"] for item in back["data"]] == [ids["a"]] and back["previous"] is None


def test_equal_values_follow_the_id(client, subscribers) -> None:
    """SORT_SOURCE: the sort is {field, _id} in one direction, so ties keep creation order (or
    its reverse), across pages too."""
    token = f"contract-sort-{uuid.uuid4().hex[:10]}"
    made = [subscribers(email=f"{token}-{index}@example.com", locale="fr_FR")["_id"] for index in range(3)]
    query = {"email": token, "orderBy": "locale", "orderDirection": "DESC", "limit": 2}
    first = _search(client, **query)
    assert [item["_id"] for item in first["data"]] == [made[2], made[1]]
    rest = _search(client, **query, after=first["next"])
    assert [item["_id"] for item in rest["data"]] == [made[0]] and rest["next"] is None


def test_a_field_no_subscriber_has_leaves_the_id_order(client, subscribers) -> None:
    """SORT_SOURCE: a field no document has sorts all alike (null), so the order is _id's; the
    cursor's value is null too, and paging continues by _id. No 400: the query DTO only asks
    for a string (subscribers-v2/dtos/cursor-pagination-query.dto.ts)."""
    token, ids = _named_set(subscribers, ["x", "y", "z"])
    created = [ids["x"], ids["y"], ids["z"]]
    query = {"email": token, "orderBy": "noSuchField", "limit": 2}
    first = _search(client, **query)
    assert [item["_id"] for item in first["data"]] == [created[2], created[1]]
    rest = _search(client, **query, after=first["next"])
    assert [item["_id"] for item in rest["data"]] == [created[0]]


def test_an_empty_order_is_the_id_order(client, subscribers) -> None:
    """subscribers-v2/subscribers.controller.ts: `orderBy: query.orderBy || '_id'`."""
    token, ids = _named_set(subscribers, ["b", "a"])
    page = _search(client, email=token, orderBy="", orderDirection="ASC")["data"]
    assert [item["_id"] for item in page] == [ids["b"], ids["a"]]


# The list's filters and cursors: libs/dal/src/repositories/subscriber/subscriber.repository.ts
# (listSubscribers, search index novuhq/novu file id 52744839988, the version with includeCursor
# and totalCount) and libs/application-generic/src/commands/project.command.ts
# (CursorBasedPaginatedCommand, novuhq/novu@1045e1e2).
LIST_SOURCE = "libs/dal/src/repositories/subscriber/subscriber.repository.ts (listSubscribers)"


def test_email_phone_and_name_find_the_text_anywhere_ignoring_case(client, subscribers) -> None:
    """listSubscribers: email and phone are `{$regex: escaped text, $options: 'i'}`, name a
    case-insensitive $regexMatch over the trimmed `firstName + ' ' + lastName`."""
    token = uuid.uuid4().hex[:10]
    made = subscribers(email=f"Mid.{token}@Example.com", phone=f"+1{token[:6]}99", firstName="Ada", lastName=f"L{token}")
    found = lambda **params: [item["_id"] for item in _search(client, limit=100, **params)["data"]]  # noqa: E731
    assert found(email=f"D.{token.upper()}@exa") == [made["_id"]], LIST_SOURCE
    assert found(phone=f"{token[:6]}9") == [made["_id"]], LIST_SOURCE
    assert found(name=f"da l{token}") == [made["_id"]], LIST_SOURCE
    assert found(email=f"mid.{token}@example.co*") == [], "the text is escaped: no pattern"


def test_subscriber_id_filter_is_an_exact_match(client, subscribers) -> None:
    """listSubscribers: `subscriberId: query.subscriberId`, an equality."""
    made = subscribers()
    sid = made["subscriberId"]
    assert [item["_id"] for item in _search(client, subscriberId=sid)["data"]] == [made["_id"]]
    assert _search(client, subscriberId=sid[:-1])["data"] == [], LIST_SOURCE
    assert _search(client, subscriberId=sid.upper())["data"] == [], LIST_SOURCE


@pytest.mark.parametrize("side", ["after", "before"])
def test_a_cursor_naming_no_subscriber_is_an_empty_page(client, subscribers, side) -> None:
    """listSubscribers: the cursor's subscriber is looked up first (environment and organization
    included); none found answers `{subscribers: [], next: null, previous: null, totalCount: 0}`."""
    subscribers()
    gone = subscribers()
    client.delete(f"/v2/subscribers/{gone['subscriberId']}")
    for cursor in ("f" * 24, gone["_id"]):
        page = _search(client, **{side: cursor})
        assert page["data"] == [] and page["next"] is None and page["previous"] is None, LIST_SOURCE
        assert page["totalCount"] == 0


def test_an_empty_cursor_is_no_cursor(client, subscribers) -> None:
    """listSubscribers: `const id = query.before || query.after` (an empty text is falsy)."""
    token, ids = _named_set(subscribers, ["a", "b"])
    for side in ("after", "before"):
        page = _search(client, email=token, orderDirection="ASC", **{side: ""})
        assert [item["_id"] for item in page["data"]] == [ids["a"], ids["b"]], side


def test_filters_take_text_of_any_length(client, subscribers) -> None:
    """subscribers-v2/dtos/list-subscribers-query.dto.ts: the filters are IsString only."""
    subscribers()
    for name in ("email", "phone", "name", "subscriberId"):
        assert _search(client, **{name: "x" * 300})["data"] == [], name


def test_a_cursor_in_capitals_names_the_same_subscriber(client, subscribers) -> None:
    """listSubscribers looks the cursor up as `_id`, an ObjectId: its hex digits read in any case."""
    token, ids = _named_set(subscribers, ["a", "b"])
    page = _search(client, email=token, orderDirection="ASC", after=ids["a"].upper())
    assert [item["_id"] for item in page["data"]] == [ids["b"]]


def test_only_the_exact_desc_descends(client, subscribers) -> None:
    """subscribers-v2/dtos/cursor-pagination-query.dto.ts checks nothing on orderDirection; the
    controller defaults an empty one to DESC; base-repository.ts findWithCursorBasedPagination
    descends only when it equals DirectionEnum.DESC."""
    token, ids = _named_set(subscribers, ["a", "b"])
    ascending, descending = [ids["a"], ids["b"]], [ids["b"], ids["a"]]
    order = lambda direction: [item["_id"] for item in _search(client, email=token, orderDirection=direction)["data"]]  # noqa: E731
    assert order("DESC") == order("") == descending
    assert order("ASC") == order("desc") == order("sideways") == ascending


def test_include_cursor_is_only_the_text_true(client, subscribers) -> None:
    """subscribers-v2/dtos/cursor-pagination-query.dto.ts: `@Transform(({ value }) => value === 'true')`."""
    token, ids = _named_set(subscribers, ["a", "b"])
    page = lambda flag: [i["_id"] for i in _search(client, email=token, orderDirection="ASC", after=ids["a"], includeCursor=flag)["data"]]  # noqa: E731
    assert page("true") == [ids["a"], ids["b"]]
    assert page("false") == page("True") == page("1") == page("yes") == [ids["b"]]


@pytest.mark.parametrize(
    ("limit", "held", "messages"),
    [
        ("0", 0, ["limit must not be less than 1"]),
        ("101", 101, ["limit must not be greater than 100"]),
        ("many", None, ["limit must not be greater than 100", "limit must not be less than 1",
                        "limit must be a number conforming to the specified constraints"]),
    ],
)  # fmt: skip
def test_a_limit_out_of_bounds_is_the_commands_400(client, limit, held, messages) -> None:
    """subscribers-v2/subscribers.controller.ts passes `Number(query.limit || '10')` to
    ListSubscribersCommand (a CursorBasedPaginatedCommand, libs/application-generic/src/commands/
    project.command.ts: IsNumber, Min(1), Max(100)); BaseCommand.create throws BadRequestException
    with {className, message, constraintsViolated} (base.command.spec.ts, 2026), which Novu's
    exception filter spreads into the body. NaN is JSON's null."""
    response = client.get("/v2/subscribers", params={"limit": limit})
    assert response.status_code == 400
    body = response.json()
    assert body["className"] == "ListSubscribersCommand"
    assert body["message"] == "Validation failed for ListSubscribersCommand: limit: " + ", ".join(messages)
    assert body["constraintsViolated"] == {"limit": {"messages": messages, "value": held}}
    assert "error" not in body


def test_create_with_fail_if_exists_is_409_with_novus_message(client, subscribers) -> None:
    """libs/application-generic/src/usecases/create-or-update-subscriber/create-or-update-subscriber.usecase.ts:
    failIfExists and a stored subscriber throw ConflictException('Subscriber with id "<id>" already exists')."""
    sid = subscribers()["subscriberId"]
    refused = client.post("/v2/subscribers", params={"failIfExists": "true"}, json={"subscriberId": sid})
    assert refused.status_code == 409
    assert refused.json()["message"] == f'Subscriber with id "{sid}" already exists'


def test_create_of_an_existing_subscriber_updates_it_and_answers_201(client, subscribers) -> None:
    """subscribers-v2/subscribers.controller.ts createSubscriber: create-or-update, 201 either way."""
    first = subscribers(firstName="Grace")
    again = client.post("/v2/subscribers", json={"subscriberId": first["subscriberId"], "lastName": "Hopper"})
    assert again.status_code == 201
    assert again.json()["data"]["_id"] == first["_id"]
    assert (again.json()["data"]["firstName"], again.json()["data"]["lastName"]) == ("Grace", "Hopper")


def test_create_trims_the_subscriber_id(client, created_at) -> None:
    """subscribers-v2/dtos/create-subscriber.dto.ts: @Transform(value.trim()) on subscriberId."""
    made = created_at("/v2/subscribers", "subscriberId")
    sid = _sid()
    assert made.create({"subscriberId": f"  {sid}  "})["subscriberId"] == sid


def test_create_refuses_a_blank_subscriber_id(client) -> None:
    """subscribers-v2/dtos/create-subscriber.dto.ts: @IsNotEmpty after the trim ('SubscriberId is required')."""
    response = client.post("/v2/subscribers", json={"subscriberId": "   "})
    assert response.status_code == 422 and "subscriberId" in response.json()["errors"]


def test_create_stores_an_empty_data_object_when_none_is_given(subscribers) -> None:
    """subscribers-v2/subscribers.controller.ts createSubscriber passes `data: body.data || {}`."""
    assert subscribers()["data"] == {}


def test_fields_never_given_are_left_out_and_online_status_is_null(client, subscribers) -> None:
    """subscribers-v2/usecases/list-subscribers/map-subscriber-entity-to.dto.ts copies the stored
    fields (unset ones stay undefined, so JSON leaves them out), `isOnline ?? null`,
    `lastOnlineAt ?? null`, and neither `__v` nor `topics`."""
    sid = subscribers(firstName="Only")["subscriberId"]
    body = client.get(f"/v2/subscribers/{sid}").json()["data"]
    assert body["firstName"] == "Only"
    assert not {"lastName", "email", "phone", "avatar", "locale", "timezone", "__v", "topics"} & set(body)
    assert body["isOnline"] is None and body["lastOnlineAt"] is None and body["channels"] == []


def test_get_of_an_unknown_subscriber_is_404_with_novus_message(client) -> None:
    """subscribers-v2/usecases/get-subscriber/get-subscriber.usecase.ts: 'Subscriber: <id> was not found'."""
    sid = _sid()
    response = client.get(f"/v2/subscribers/{sid}")
    assert response.status_code == 404 and response.json()["message"] == f"Subscriber: {sid} was not found"


def test_path_subscriber_id_is_any_string(client) -> None:
    """subscribers-v2/subscribers.controller.ts takes @Param('subscriberId') as a plain string: an
    unknown id with any characters is not found (404), never a validation error."""
    response = client.get(f"/v2/subscribers/{PREFIX}odd%20id%20%C3%A9%24%21")
    assert response.status_code == 404


def test_patch_of_an_unknown_subscriber_is_404_with_novus_message(client) -> None:
    """subscribers-v2/usecases/patch-subscriber/patch-subscriber.usecase.ts: 'Subscriber <id> was not found'."""
    sid = _sid()
    response = client.patch(f"/v2/subscribers/{sid}", json={"firstName": "x"})
    assert response.status_code == 404 and response.json()["message"] == f"Subscriber {sid} was not found"


def test_patch_null_clears_every_field(client, subscribers) -> None:
    """subscribers-v2/e2e/patch-subscriber.e2e.ts: 'should clear simple/complex fields with null'."""
    sid = subscribers(firstName="A", lastName="B", phone="+1", avatar="x", email="a@example.com",
                      locale="en-US", timezone="Europe/Paris", data={"k": 1})["subscriberId"]  # fmt: skip
    fields = ["firstName", "lastName", "phone", "avatar", "email", "locale", "timezone", "data"]
    body = client.patch(f"/v2/subscribers/{sid}", json=dict.fromkeys(fields)).json()["data"]
    assert {name: body[name] for name in fields} == dict.fromkeys(fields)


def test_patch_stores_empty_strings_of_plain_text_fields(client, subscribers) -> None:
    """subscribers-v2/e2e/patch-subscriber.e2e.ts: 'should clear simple fields with empty string'."""
    sid = subscribers(firstName="A", lastName="B", phone="+1", avatar="x")["subscriberId"]
    body = client.patch(f"/v2/subscribers/{sid}", json={"firstName": "", "lastName": "", "phone": "", "avatar": ""}).json()["data"]
    assert (body["firstName"], body["lastName"], body["phone"], body["avatar"]) == ("", "", "", "")


@pytest.mark.parametrize("field", ["email", "locale", "timezone"])
def test_patch_refuses_an_empty_email_locale_or_timezone(client, subscribers, field) -> None:
    """subscribers-v2/e2e/patch-subscriber.e2e.ts: 'should reject empty strings for complex fields' (422)."""
    sid = subscribers()["subscriberId"]
    response = client.patch(f"/v2/subscribers/{sid}", json={field: ""})
    assert response.status_code == 422 and field in response.json()["errors"]


@pytest.mark.parametrize(("field", "value"), [("email", "invalid-email"), ("locale", "!!!invalid!!!"), ("timezone", "Invalid/Timezone")])
def test_patch_validates_email_locale_and_timezone(client, subscribers, field, value) -> None:
    """subscribers-v2/e2e/patch-subscriber.e2e.ts: 'should validate email/locale/timezone format' (422)."""
    sid = subscribers()["subscriberId"]
    response = client.patch(f"/v2/subscribers/{sid}", json={field: value})
    assert response.status_code == 422 and field in response.json()["errors"]


def test_timezone_and_locale_rules_accept_what_novu_accepts(client, subscribers) -> None:
    """subscribers-v2/dtos/create-subscriber.dto.ts: @IsTimeZone (Intl, any case) and @IsLocale
    (BCP 47, `_` or `-`); the e2e creates with locale 'en_US'."""
    sid = subscribers(locale="en_US", timezone="america/new_york")["subscriberId"]
    body = client.patch(f"/v2/subscribers/{sid}", json={"locale": "zh-Hant-TW", "timezone": "UTC"}).json()["data"]
    assert (body["locale"], body["timezone"]) == ("zh-Hant-TW", "UTC")


def test_patch_ignores_a_subscriber_id_in_the_body(client, subscribers) -> None:
    """subscribers-v2/e2e/patch-subscriber.e2e.ts: 'should not allow updating subscriberId'."""
    sid = subscribers()["subscriberId"]
    body = client.patch(f"/v2/subscribers/{sid}", json={"subscriberId": _sid(), "firstName": "Updated"}).json()["data"]
    assert body["subscriberId"] == sid and body["firstName"] == "Updated"


def test_patch_without_changes_answers_the_subscriber_unchanged(client, subscribers) -> None:
    """subscribers-v2/e2e/patch-subscriber.e2e.ts: 'should return the original subscriber if no
    fields are updated' (UpdateSubscriber skips the write when nothing differs)."""
    created = subscribers(firstName="Same")
    body = client.patch(f"/v2/subscribers/{created['subscriberId']}", json={}).json()["data"]
    assert body["firstName"] == "Same" and body["updatedAt"] == created["updatedAt"]


def test_delete_of_an_unknown_subscriber_names_it(client) -> None:
    """subscribers-v2/usecases/remove-subscriber/remove-subscriber.usecase.ts: NotFoundException(
    {message: 'Subscriber was not found', externalSubscriberId}) spreads both into the body."""
    sid = _sid()
    response = client.delete(f"/v2/subscribers/{sid}")
    assert response.status_code == 404
    assert response.json()["message"] == "Subscriber was not found" and response.json()["externalSubscriberId"] == sid


# -- v2 preferences ---------------------------------------------------------------------------


def test_preferences_of_an_unknown_subscriber_is_404_with_novus_message(client) -> None:
    """subscribers-v2/usecases/get-subscriber-preferences/get-subscriber-preferences.usecase.ts:
    'Subscriber with id: <id> not found'."""
    sid = _sid()
    response = client.get(f"/v2/subscribers/{sid}/preferences")
    assert response.status_code == 404 and response.json()["message"] == f"Subscriber with id: {sid} not found"


def test_preferences_take_context_keys_and_a_context(client, subscribers) -> None:
    """subscribers-v2/usecases/update-subscriber-preferences/update-subscriber-preferences.usecase.ts
    (and get-subscriber-preferences): contexts count only behind IS_CONTEXT_PREFERENCES_ENABLED,
    off by default; the inputs are accepted."""
    sid = subscribers()["subscriberId"]
    path = f"/v2/subscribers/{sid}/preferences"
    assert client.get(path, params={"contextKeys": ["tenant:acme"]}).status_code == 200
    changed = client.patch(path, json={"channels": {"sms": False}, "context": {"tenant": "acme", "region": {"id": "eu"}}})
    assert changed.status_code == 200 and changed.json()["data"]["global"]["channels"]["sms"] is False


def test_unknown_workflow_is_404_naming_it(client, subscribers) -> None:
    """libs/application-generic/src/usecases/workflow/get-workflow-by-ids/get-workflow-by-ids.usecase.ts:
    NotFoundException({message: 'Workflow cannot be found', workflowId})."""
    sid = subscribers()["subscriberId"]
    workflow_id = f"{PREFIX}no-such-workflow"
    response = client.patch(f"/v2/subscribers/{sid}/preferences", json={"workflowId": workflow_id, "channels": {"email": False}})
    assert response.status_code == 404
    assert response.json()["message"] == "Workflow cannot be found" and response.json()["workflowId"] == workflow_id


def test_the_workflow_is_looked_up_before_the_subscriber(client) -> None:
    """subscribers-v2/usecases/update-subscriber-preferences/update-subscriber-preferences.usecase.ts
    resolves the workflow first; inbox/usecases/update-preferences checks the subscriber after."""
    response = client.patch(f"/v2/subscribers/{_sid()}/preferences", json={"workflowId": f"{PREFIX}nope", "channels": {}})
    assert response.status_code == 404 and response.json()["message"] == "Workflow cannot be found"
    sid = _sid()
    global_only = client.patch(f"/v2/subscribers/{sid}/preferences", json={"channels": {"email": False}})
    assert global_only.status_code == 404 and global_only.json()["message"] == f"Subscriber with id: {sid} is not found"


def test_critical_workflow_is_400_naming_its_id(client, subscribers) -> None:
    """inbox/usecases/update-preferences/update-preferences.usecase.ts: BadRequestException(
    'Critical workflow with id: <workflow _id> can not be updated')."""
    sid = subscribers()["subscriberId"]
    critical = _workflow_preferences(client, sid, "critical")
    if not critical:
        pytest.skip("the target has no critical workflow")
    response = client.patch(f"/v2/subscribers/{sid}/preferences",
                            json={"workflowId": critical[0]["workflow"]["identifier"], "channels": {"email": False}})  # fmt: skip
    assert response.status_code == 400
    assert response.json()["message"].startswith("Critical workflow with id: ")
    assert response.json()["message"].endswith(" can not be updated")


def test_workflow_slug_is_the_slugified_name_and_the_base62_id(client, subscribers) -> None:
    """subscribers-v2/usecases/get-subscriber-preferences/get-subscriber-preferences.usecase.ts:
    slug = buildSlug(name, 'wf_', _id) (shared/helpers/build-slug.ts: '<slug>_wf_<base62 id>')."""
    sid = subscribers()["subscriberId"]
    workflows = _workflow_preferences(client, sid)
    if not workflows:
        pytest.skip("the target has no non-critical workflow")
    identifier = workflows[0]["workflow"]["identifier"]
    [bulk] = client.patch(f"/v2/subscribers/{sid}/preferences/bulk",
                          json={"preferences": [{"workflowId": identifier, "channels": {}}]}).json()["data"]  # fmt: skip
    assert workflows[0]["workflow"]["slug"].endswith(f"_wf_{_base62(bulk['workflow']['id'])}")


def test_bulk_preferences_of_an_empty_list_is_400(client, subscribers) -> None:
    """inbox/usecases/bulk-update-preferences/bulk-update-preferences.usecase.ts:
    BadRequestException('No preferences provided for bulk update')."""
    sid = subscribers()["subscriberId"]
    response = client.patch(f"/v2/subscribers/{sid}/preferences/bulk", json={"preferences": []})
    assert response.status_code == 400 and response.json()["message"] == "No preferences provided for bulk update"


def test_bulk_preferences_name_every_unknown_workflow(client, subscribers) -> None:
    """inbox/usecases/bulk-update-preferences/bulk-update-preferences.usecase.ts:
    'Workflows with ids: <unknown ids, joined> not found'."""
    sid = subscribers()["subscriberId"]
    a, b = f"{PREFIX}wf-a", f"{PREFIX}wf-b"
    response = client.patch(f"/v2/subscribers/{sid}/preferences/bulk",
                            json={"preferences": [{"workflowId": a, "channels": {}}, {"workflowId": b, "channels": {}}]})  # fmt: skip
    assert response.status_code == 404 and response.json()["message"] == f"Workflows with ids: {a}, {b} not found"


def test_bulk_preferences_of_an_unknown_subscriber_is_404(client) -> None:
    """inbox/usecases/bulk-update-preferences/bulk-update-preferences.usecase.ts:
    'Subscriber with id: <id> is not found', checked before the list."""
    sid = _sid()
    response = client.patch(f"/v2/subscribers/{sid}/preferences/bulk", json={"preferences": []})
    assert response.status_code == 404 and response.json()["message"] == f"Subscriber with id: {sid} is not found"


def test_bulk_preferences_answer_once_per_workflow_with_the_last_entry(client, subscribers) -> None:
    """inbox/usecases/bulk-update-preferences/bulk-update-preferences.usecase.ts dedupes by workflow
    _id in a Map: first place kept, last entry applied."""
    sid = subscribers()["subscriberId"]
    workflows = [w for w in _workflow_preferences(client, sid) if w["channels"]]
    if not workflows:
        pytest.skip("the target has no non-critical workflow with a channel")
    identifier, channel = workflows[0]["workflow"]["identifier"], next(iter(workflows[0]["channels"]))
    response = client.patch(f"/v2/subscribers/{sid}/preferences/bulk", json={"preferences": [
        {"workflowId": identifier, "channels": {channel: False}}, {"workflowId": identifier, "channels": {channel: True}}]})
    assert response.status_code == 200, response.text
    [only] = response.json()["data"]
    assert only["level"] == "template" and only["channels"][channel] is True


def test_bulk_preferences_take_at_most_100(client, subscribers) -> None:
    """subscribers-v2/dtos/bulk-update-subscriber-preferences.dto.ts: @ArrayMaxSize(100) (422)."""
    sid = subscribers()["subscriberId"]
    items = [{"workflowId": f"{PREFIX}wf-{n}", "channels": {}} for n in range(101)]
    assert client.patch(f"/v2/subscribers/{sid}/preferences/bulk", json={"preferences": items}).status_code == 422


# -- v1 list and bulk create ------------------------------------------------------------------


def test_v1_list_has_no_total_and_is_not_enveloped(client, subscribers) -> None:
    """subscribers/usecases/get-subscribers/get-subscribers.usecase.ts returns {page, hasMore:
    data.length === limit, pageSize, data}; the response interceptor leaves it as it is."""
    subscribers()
    body = client.get("/v1/subscribers", params={"page": 0, "limit": 1}).json()
    assert set(body) == {"page", "hasMore", "pageSize", "data"}
    assert body["hasMore"] is True and len(body["data"]) == 1 and "__v" in body["data"][0]


def test_v1_list_limit_is_1_to_100(client) -> None:
    """shared/dtos/pagination-request.ts: @Min(1) @Max(100) on limit (GetSubscribersDto)."""
    assert client.get("/v1/subscribers", params={"limit": 101}).status_code == 422
    assert client.get("/v1/subscribers", params={"limit": 0}).status_code == 422


def test_bulk_create_reports_a_repeat_as_created_and_updated(client) -> None:
    """libs/dal/src/repositories/subscriber/subscriber.repository.ts bulkCreateSubscribers: one
    upsert per item; `updated` is every item not upserted nor failed, so a repeat is in both."""
    sid = _sid()
    try:
        response = client.post("/v1/subscribers/bulk", json={"subscribers": [{"subscriberId": sid}, {"subscriberId": sid, "firstName": "Dup"}]})
        assert response.status_code == 201, response.text
        body = response.json()["data"]
        assert body == {"updated": [{"subscriberId": sid}], "created": [{"subscriberId": sid}], "failed": []}
        assert client.get(f"/v2/subscribers/{sid}").json()["data"]["firstName"] == "Dup"
    finally:
        client.delete(f"/v2/subscribers/{sid}")


@pytest.mark.parametrize("count", [0, 501])
def test_bulk_create_takes_1_to_500(client, count) -> None:
    """subscribers/dtos/create-subscriber-request.dto.ts BulkSubscriberCreateDto: @ArrayNotEmpty @ArrayMaxSize(500)."""
    items = [{"subscriberId": f"{PREFIX}bulk-{n}"} for n in range(count)]
    response = client.post("/v1/subscribers/bulk", json={"subscribers": items})
    assert response.status_code == 422 and "subscribers" in response.json()["errors"]


# -- v1 credentials and online status ---------------------------------------------------------


def test_credentials_of_an_unknown_subscriber_are_400(client) -> None:
    """libs/application-generic/src/usecases/subscribers/update-subscriber-channel/update-subscriber-channel.usecase.ts:
    BadRequestException('SubscriberId: <id> not found')."""
    sid = _sid()
    response = client.put(f"/v1/subscribers/{sid}/credentials", json={"providerId": "fcm", "credentials": {}})
    assert response.status_code == 400 and response.json()["message"] == f"SubscriberId: {sid} not found"


def test_credentials_without_an_active_integration_are_400(client, subscribers) -> None:
    """update-subscriber-channel.usecase.ts: 'Subscribers environment (<env id>) do not have active
    <providerId> integration.' The providerId is only @IsString in the DTO."""
    created = subscribers()
    provider = f"{PREFIX}pigeon"
    response = client.put(f"/v1/subscribers/{created['subscriberId']}/credentials", json={"providerId": provider, "credentials": {}})
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Subscribers environment ({created['_environmentId']}) do not have active {provider} integration."
    )


def test_credentials_keep_three_fields_and_no_integration_identifier(client, subscribers, integration) -> None:
    """update-subscriber-channel.usecase.ts createUpdatePayload keeps webhookUrl, deviceTokens and
    channel, and pushes {credentials, _integrationId, providerId}; the v1 route answers the
    stored document (with `__v`)."""
    fcm = integration("fcm", "push")
    sid = subscribers()["subscriberId"]
    response = client.put(f"/v1/subscribers/{sid}/credentials", json={
        "providerId": "fcm", "integrationIdentifier": fcm["identifier"],
        "credentials": {"deviceTokens": ["t1", "t1"], "title": "dropped", "alertUid": "dropped"}})  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()["data"]
    assert "__v" in body
    assert body["channels"] == [{"credentials": {"deviceTokens": ["t1"]}, "_integrationId": fcm["_id"], "providerId": "fcm"}]


def test_credentials_refuse_more_than_100_device_tokens(client, subscribers, integration) -> None:
    """update-subscriber-channel.usecase.ts validateDeviceTokensLimit: 400 past
    SYSTEM_LIMITS.SUBSCRIBER_DEVICE_TOKENS (100), with currentCount and limit."""
    fcm = integration("fcm", "push")
    sid = subscribers()["subscriberId"]
    response = client.put(f"/v1/subscribers/{sid}/credentials", json={
        "providerId": "fcm", "integrationIdentifier": fcm["identifier"],
        "credentials": {"deviceTokens": [f"t{n}" for n in range(101)]}})  # fmt: skip
    assert response.status_code == 400
    assert (response.json()["currentCount"], response.json()["limit"]) == (101, 100)


def test_deleting_credentials_of_a_provider_not_held_is_204(client, subscribers) -> None:
    """subscribers/usecases/delete-subscriber-credentials/delete-subscriber-credentials.usecase.ts:
    a $pull by providerId, whatever the provider."""
    sid = subscribers()["subscriberId"]
    response = client.delete(f"/v1/subscribers/{sid}/credentials/{PREFIX}pigeon")
    assert response.status_code == 204 and response.content == b""


def test_deleting_credentials_of_an_unknown_subscriber_is_404(client) -> None:
    """subscribers/usecases/get-subscriber/get-subscriber.usecase.ts: 'Subscriber not found for id <id>'."""
    sid = _sid()
    response = client.delete(f"/v1/subscribers/{sid}/credentials/fcm")
    assert response.status_code == 404 and response.json()["message"] == f"Subscriber not found for id {sid}"


def test_online_status_of_an_unknown_subscriber_is_404(client) -> None:
    """subscribers/usecases/update-subscriber-online-flag/update-subscriber-online-flag.usecase.ts:
    NotFoundException('Subscriber not found')."""
    response = client.patch(f"/v1/subscribers/{_sid()}/online-status", json={"isOnline": True})
    assert response.status_code == 404 and response.json()["message"] == "Subscriber not found"


def test_going_offline_stamps_last_online_at(client, subscribers) -> None:
    """update-subscriber-online-flag.usecase.ts sets lastOnlineAt only when isOnline is false, and
    answers the stored document."""
    sid = subscribers()["subscriberId"]
    online = client.patch(f"/v1/subscribers/{sid}/online-status", json={"isOnline": True}).json()["data"]
    assert online["isOnline"] is True and "lastOnlineAt" not in online and "__v" in online
    offline = client.patch(f"/v1/subscribers/{sid}/online-status", json={"isOnline": False}).json()["data"]
    assert offline["isOnline"] is False and offline["lastOnlineAt"]
