"""The visiting party of an event (its delegation): lead and members, the cars they come in
(plate, driver, passengers, car call, where they are dropped off and picked up, the programme's
arrival and departure items) and the passes or permits issued to them; and the lists the day
is run from (the manifest, the gate's vehicle list, the pass list)."""
