import json
import pytest
from registry.auth.tokens import create_token

@pytest.fixture
def app_config():
    return {"SUPPRESSION_THRESHOLD": 1}

def test_smoke(client, small_registry, actor, db_session):
    _t, secret = create_token(actor("ministry"), "x"); db_session.commit()
    h = {"Authorization": f"ApiToken {secret}"}
    for q in ["dimension=dx:TDI_ENTRANTS;REG_CLIENTS;TDI_ENTRANTS_DRUG,pe:2003,ou:KG&dimension=SEX&outputIdScheme=CODE",
              "dimension=dx:TDI_ENTRANTS_DRUG;REG_PER_100K;EST_USERS,pe:2003,ou:KG&dimension=co&outputIdScheme=CODE&includeNumDen=true",
              "dimension=dx:REG_CLIENTS&dimension=pe:LAST_6_MONTHS&dimension=ou:USER_ORGUNIT&relativePeriodDate=2004-02-01&skipMeta=true&paging=false&ignoreLimit=true&displayProperty=NAME",
              "dimension=dx:REG_CLIENTS,pe:2003,ou:OU_GROUP-narcological_dispensary&filter=SEX:F",
              ]:
        r = client.get("/api/analytics?" + q, headers=h)
        print(q, r.status_code); print(json.dumps(r.get_json(), ensure_ascii=False)[:3000])
    r = client.get("/api/me?fields=id,username", headers=h); print(r.status_code, r.get_json())
    r = client.get("/api/analytics.csv?dimension=dx:REG_CLIENTS,pe:2003,ou:KG", headers=h); print(r.data.decode())
    r = client.get("/api/analytics.xml?dimension=dx:REG_CLIENTS,pe:2003,ou:KG", headers=h); print(r.data.decode())
    import base64
    b = {"Authorization": "Basic " + base64.b64encode(b"epi:demo-password-1").decode()}
    r = client.get("/api/me", headers=b); print(r.status_code, r.get_json(), r.headers.get("Set-Cookie"))
    b = {"Authorization": "Basic " + base64.b64encode(b"epi:wrong").decode()}
    r = client.get("/api/me", headers=b); print(r.status_code, r.get_json())
