"""The app boots and answers. Run `pytest` in the app's folder."""

from server.app import app


def test_the_app_answers(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "uptime" in response.json()


def test_every_public_model_lists_its_records(client):
    for model in app.exposed_models():
        if not model.spec.persisted:
            continue  # a model on no datasource (base "Model") has only its remote methods
        response = client.get(f"{app.rest_api_root}/{model.spec.plural}")
        if response.status_code == 401:
            # its acls want a token (an Account's records are for their owner)
            assert response.json()["error"]["code"] == "AUTHORIZATION_REQUIRED"
            continue
        assert response.status_code == 200, response.text
        assert isinstance(response.json(), list)


def test_an_unknown_path_is_a_loopback_404(client):
    response = client.get(f"{app.rest_api_root}/NoSuchModels")
    assert response.status_code == 404
    assert response.json()["error"]["statusCode"] == 404
