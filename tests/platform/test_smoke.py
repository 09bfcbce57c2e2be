def test_me_answers_with_the_key_principal(owner):
    response = owner.client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["organization"]["slug"] == "acme"
