"""Operations data: what the team's monitoring tools send (alerts, incidents,
changes) through integrations, kept in one model, and the queries the agent
tools answer from it.

    integrations   create, list, update, rotate, delete (who may: owners and admins)
    vendors/       one module per tool: how it authenticates, how its payload reads
    arrivals       the model's input: AlertArrival, IncidentArrival, ChangeArrival
    apply          arrivals into the store (alert and its day aggregate in one write)
    hooks          POST /hooks/{integration_id}: authenticate, parse, apply, record events
    canonical      `alert.*`, `incident.*`, `change.*` events of POST /events as arrivals
    queries        alerts, incidents, changes for the API and the tools
    tools          the agent tools over them (specs and calls)
"""
