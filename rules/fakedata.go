package rules

import "strings"

// The word lists behind the fake helpers: compact (a few KiB in the
// plugin), plausible, and international enough for demos.

var (
	fakeFirstNames = words(`Ada Alan Alice Amara Ana Andrea Arjun Aya Ben Bruno Carla Carmen Chen Chloe
		Clara Daniel David Diego Elena Emil Emma Eva Farah Felix Fatima Grace Hana Hugo Ines Isaac Ivan
		Jade James Javier Jonas Julia Kai Karim Kenji Lara Laura Leo Lina Lucas Lucia Luis Maja Marco
		Maria Mateo Maya Mei Mia Mohamed Nadia Nina Noah Nora Olga Omar Oscar Paula Pedro Priya Rafael
		Rosa Ruben Sara Sofia Tariq Theo Tomas Valentina Victor Yara Yusuf Zoe`)
	fakeLastNames = words(`Abe Adams Alvarez Andersen Bauer Becker Bianchi Brown Castro Chen Costa
		Dubois Eriksen Fernandez Fischer Garcia Gomez Gonzalez Haddad Hansen Ito Jansen Jensen Kaur
		Kim Kowalski Kumar Larsen Lopez Martin Martinez Meyer Moreau Muller Nakamura Nguyen Novak
		Okafor Olsen Patel Perez Petrov Ramirez Ricci Rossi Sanchez Santos Schmidt Silva Singh Smith
		Suzuki Tanaka Taylor Torres Van_Dijk Wagner Wang Weber Williams Wilson Yamamoto Zhang`)
	fakeStreets = words(`Main Oak Pine Maple Cedar Elm Lake Hill Park River Church Mill Station
		Garden Market Bridge Castle Forest Meadow Orchard Sunset Harbor Valley Spring Willow`)
	fakeStreetKinds = words(`Street Avenue Road Lane Boulevard Way Drive Square Place Court`)
	fakeCities      = words(`Amsterdam Athens Austin Barcelona Berlin Bogota Boston Brussels Buenos_Aires
		Cairo Cape_Town Chicago Copenhagen Dublin Edinburgh Florence Hamburg Helsinki Istanbul Kyoto
		Lagos Lisbon London Lyon Madrid Melbourne Mexico_City Milan Montreal Mumbai Munich Nairobi
		Osaka Oslo Paris Porto Prague Rome San_Francisco Santiago Sao_Paulo Seattle Seoul Singapore
		Stockholm Sydney Tokyo Toronto Valencia Vienna Warsaw Zurich`)
	fakeCountries = words(`Argentina Australia Austria Belgium Brazil Canada Chile China Colombia
		Denmark Egypt Finland France Germany Greece India Ireland Italy Japan Kenya Mexico Morocco
		Netherlands New_Zealand Nigeria Norway Peru Poland Portugal South_Africa South_Korea Spain
		Sweden Switzerland Turkey United_Kingdom United_States Vietnam`)
	fakeCompanyWords = words(`Acme Apex Atlas Blue Bright Cedar Cloud Crest Delta Echo Global Green
		Harbor Horizon Iron Lumen Nimbus North Nova Orbit Peak Pioneer Quantum Red Silver Summit Terra
		Vertex Vista Zenith`)
	fakeCompanyKinds = words(`Labs Systems Solutions Logistics Foods Energy Works Analytics Networks
		Media Health Capital Partners Industries Software Robotics Studios Group`)
	fakeCompanySuffixes = words(`Inc. Ltd. GmbH S.A. LLC Co. B.V. AG`)
	fakeJobLevels       = words(`Senior Junior Lead Principal Chief Staff Associate Head_of`)
	fakeJobFields       = words(`Data Product Software Marketing Sales Finance Security Operations
		Support Design Research Platform Quality Legal People Customer_Success`)
	fakeJobRoles = words(`Engineer Analyst Manager Designer Architect Consultant Specialist
		Coordinator Developer Officer Strategist Scientist`)
	fakeDomains = words(`example.com example.org example.net mail.test inbox.test corp.example`)
	fakeLorem   = words(`lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod
		tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud
		exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure in
		reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint occaecat
		cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum`)
)

// words splits a list on white space; "_" stands for a space inside an
// entry.
func words(s string) []string {
	out := strings.Fields(s)
	for i, w := range out {
		out[i] = strings.ReplaceAll(w, "_", " ")
	}
	return out
}
