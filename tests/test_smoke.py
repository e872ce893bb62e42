async def test_typename_without_token(api):
    assert await api.ok("{ __typename }") == {"__typename": "Query"}


async def test_me(api, world):
    data = await api.ok("{ me { username memberships { role unit { acronym } } } }", token=world.tokens["da_head"])
    assert data["me"] == {"username": "da_head", "memberships": [{"role": "HEAD", "unit": {"acronym": "DA"}}]}
