"""oncosig.interpret"""
